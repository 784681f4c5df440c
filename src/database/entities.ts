import { ApiKeyEntity } from '../auth/api-key.entity';
import { BankEntity, BankSecretEntity } from '../banks/bank.entity';
import {
  DeliveryAttemptEntity,
  DeliveryEntity,
  OutboxEventEntity,
  SubscriptionEntity,
  SubscriptionSecretEntity,
} from '../events/event.entities';
import { InvoiceEntity } from '../invoices/invoice.entity';
import {
  BankPullCursorEntity,
  ScheduledTickEntity,
} from '../reconciliation/bank-pull-cursor.entity';
import { ReconciliationRunEntity } from '../reconciliation/reconciliation-run.entity';
import { TransactionExceptionEntity } from '../reconciliation/transaction-exception.entity';
import { TransactionMatchEntity } from '../reconciliation/transaction-match.entity';
import { SUGGESTION_ENTITIES } from '../reconciliation/suggestions/suggestion.entities';
import { STATEMENT_ENTITIES } from '../statements/statement.entities';
import { TransactionEntity } from '../transactions/transaction.entity';
import { WebhookEventEntity } from '../webhooks/webhook-event.entity';

/** Every entity, in one list shared by the app, the CLI data source and the drift test. */
export const ENTITIES = [
  ApiKeyEntity,
  BankEntity,
  BankSecretEntity,
  WebhookEventEntity,
  TransactionEntity,
  InvoiceEntity,
  ReconciliationRunEntity,
  TransactionMatchEntity,
  TransactionExceptionEntity,
  BankPullCursorEntity,
  ScheduledTickEntity,
  OutboxEventEntity,
  SubscriptionEntity,
  SubscriptionSecretEntity,
  DeliveryEntity,
  DeliveryAttemptEntity,
  ...SUGGESTION_ENTITIES,
  ...STATEMENT_ENTITIES,
];
