import { Init1795557440743 } from './1795557440743-Init';
import { Intake1795557748459 } from './1795557748459-Intake';
import { Reconciliation1795557969246 } from './1795557969246-Reconciliation';
import { FallbackPull1795558655261 } from './1795558655261-FallbackPull';
import { Events1795558859200 } from './1795558859200-Events';
import { FasterEventJson1795559000000 } from './1795559000000-FasterEventJson';
import { EventRetention1795559100000 } from './1795559100000-EventRetention';
import { PullResume1795559200000 } from './1795559200000-PullResume';
import { QueueGauges1795559300000 } from './1795559300000-QueueGauges';
import { RunPartial1795559310000 } from './1795559310000-RunPartial';
import { RawEvents1795559318000 } from './1795559318000-RawEvents';
import { TransactionInterop1795559320000 } from './1795559320000-TransactionInterop';
import { Suggestions1795559400000 } from './1795559400000-Suggestions';
import { AuditLog1795559500000 } from './1795559500000-AuditLog';
import { Statements1795559600000 } from './1795559600000-Statements';
import { DebeziumOutbox1795559700000 } from './1795559700000-DebeziumOutbox';
import { OutboxSeqIndex1795559710000 } from './1795559710000-OutboxSeqIndex';
import { OutboxAggregateWhen1795559720000 } from './1795559720000-OutboxAggregateWhen';
import { ParallelSafeFormatting1795559730000 } from './1795559730000-ParallelSafeFormatting';
import { NormalizePartyAccounts1795559740000 } from './1795559740000-NormalizePartyAccounts';
import { AuditTimeBrin1795559750000 } from './1795559750000-AuditTimeBrin';
import { SuggestionGinDirect1795559760000 } from './1795559760000-SuggestionGinDirect';

/**
 * Applied in this order. `npm run migration:generate -- migrations/Name` writes a new file;
 * review it, then append its class here.
 */
export const MIGRATIONS = [
  Init1795557440743,
  Intake1795557748459,
  Reconciliation1795557969246,
  FallbackPull1795558655261,
  Events1795558859200,
  FasterEventJson1795559000000,
  EventRetention1795559100000,
  PullResume1795559200000,
  QueueGauges1795559300000,
  RunPartial1795559310000,
  RawEvents1795559318000,
  TransactionInterop1795559320000,
  Suggestions1795559400000,
  AuditLog1795559500000,
  Statements1795559600000,
  DebeziumOutbox1795559700000,
  OutboxSeqIndex1795559710000,
  OutboxAggregateWhen1795559720000,
  ParallelSafeFormatting1795559730000,
  NormalizePartyAccounts1795559740000,
  AuditTimeBrin1795559750000,
  SuggestionGinDirect1795559760000,
];
