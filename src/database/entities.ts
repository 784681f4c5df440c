import { ApiKeyEntity } from '../auth/api-key.entity';

/** Every entity, in one list shared by the app, the CLI data source and the drift test. */
export const ENTITIES = [ApiKeyEntity];
