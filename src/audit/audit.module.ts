import { Module } from '@nestjs/common';
import { AuditChainer } from './audit-chainer';
import { AuditController } from './audit.controller';
import { AuditService } from './audit.service';

@Module({
  controllers: [AuditController],
  providers: [AuditService, AuditChainer],
})
export class AuditModule {}
