import { Inject, Injectable } from '@nestjs/common';
import { LoadGauge } from '../common/load-gauge';
import { validationProblem } from '../common/problem';
import { IntakeService, type IntakeOutcome } from '../intake/intake.service';
import { normalizeSeedTransaction } from '../intake/normalized-transaction';
import type { Delivery } from './delivery';
import { UpIntake } from './up-intake';

/** A verified delivery, normalized by its scheme and handed to the shared intake. */
@Injectable()
export class WebhookIntake {
  constructor(
    private readonly intake: IntakeService,
    @Inject(UpIntake) private readonly up: UpIntake,
    private readonly gauge: LoadGauge,
  ) {}

  /**
   * Stores a verified delivery; resolves only once it is committed. Not `async`, like the
   * intake's `submit`: on the hot path every promise layer is work per delivery.
   */
  accept(delivery: Delivery): Promise<IntakeOutcome> {
    this.gauge.delivered();
    if (delivery.bank.signature.scheme === 'up') {
      return this.up.accept(delivery).then(this.intake.notifyStored);
    }
    const normalized = normalizeSeedTransaction(delivery.body);
    if (!normalized.ok) return Promise.reject(validationProblem(normalized.errors));
    return this.intake.submit({
      bankId: delivery.bank.id,
      eventId: delivery.eventId,
      eventType: null,
      body: delivery.rawBody,
      headers: delivery.headers,
      tx: normalized.tx,
      source: 'webhook',
      bankStatus: null,
      rawText: null,
      status: 'PENDING',
    });
  }
}
