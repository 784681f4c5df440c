import { Init1795557440743 } from './1795557440743-Init';

/**
 * Applied in this order. `npm run migration:generate -- migrations/Name` writes a new file;
 * review it, then append its class here.
 */
export const MIGRATIONS = [Init1795557440743];
