import { Module } from '@nestjs/common';
import { IntakeService } from './intake.service';

/**
 * The one write path of every source (webhooks, the scheduled pull, statements): normalized
 * transaction → group-committed insert → outbox event. It depends on no source, and no source
 * on another.
 */
@Module({
  providers: [IntakeService],
  exports: [IntakeService],
})
export class IntakeModule {}
