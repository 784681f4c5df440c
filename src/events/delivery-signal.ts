import { Injectable } from '@nestjs/common';
import { WorkSignal } from '../transactions/work-signal';

/** Wakes this instance's outbox relay and delivery worker when there is new work. */
@Injectable()
export class DeliverySignal extends WorkSignal {}
