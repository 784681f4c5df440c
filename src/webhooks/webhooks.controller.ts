import {
  Controller,
  HttpCode,
  HttpStatus,
  Post,
  Req,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiBody,
  ApiExtraModels,
  ApiHeader,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { Public } from '../auth/roles.decorator';
import type { IntakeOutcome } from '../intake/intake.service';
import type { WebhookRequest } from './delivery';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { WebhookIntake } from './webhook-intake.service';
import { SignatureGuard } from './signature.guard';
import { BankRateLimitGuard, ClientRateLimitGuard } from './webhook-rate-limit';
import { SeedWebhookBodyDto, UP_WEBHOOK_EVENT_SCHEMA, WebhookAckDto } from './webhooks.dto';

const DOC_RESPONSES = [
  ApiResponse({ status: 202, type: WebhookAckDto, description: 'first delivery, committed' }),
  ApiResponse({
    status: 200,
    type: WebhookAckDto,
    description: 'replay (deduped: true); Up banks: every success',
  }),
  ApiResponse({
    status: 400,
    description: 'missing event id, malformed JSON, invalid fields (problem+json with errors)',
  }),
  ApiResponse({ status: 401, description: 'missing or wrong signature, stale timestamp' }),
  ApiResponse({ status: 404, description: 'unknown bank' }),
  ApiResponse({ status: 409, description: 'event id reused with a different body' }),
  ApiResponse({ status: 413, description: 'body larger than MAX_BODY_BYTES' }),
  ApiResponse({ status: 415, description: 'content type is not JSON' }),
  ApiResponse({
    status: 429,
    description:
      'too many deliveries for this bank or from this client (WEBHOOK_RATE_LIMIT_*); see Retry-After',
    headers: { 'Retry-After': { description: 'seconds', schema: { type: 'integer' } } },
  }),
  ApiResponse({ status: 503, description: 'database unreachable; nothing stored, retry' }),
];
const DOC_HEADERS = [
  ApiHeader({
    name: 'X-Event-Id',
    required: false,
    description: 'hmac-sha256: event id (header name configurable per bank)',
  }),
  ApiHeader({
    name: 'X-Signature',
    required: false,
    description: 'hmac-sha256: hex HMAC-SHA256 of the raw body, optional sha256= prefix',
  }),
  ApiHeader({ name: 'webhook-id', required: false, description: 'standard-webhooks: event id' }),
  ApiHeader({
    name: 'webhook-timestamp',
    required: false,
    description: 'standard-webhooks: unix seconds, within 300 s',
  }),
  ApiHeader({
    name: 'webhook-signature',
    required: false,
    description: 'standard-webhooks: `v1,<base64>`, several separated by spaces',
  }),
  ApiHeader({
    name: 'svix-id',
    required: false,
    description: "standard-webhooks: Svix's name for webhook-id (read when no webhook-* is sent)",
  }),
  ApiHeader({
    name: 'svix-timestamp',
    required: false,
    description: "standard-webhooks: Svix's name for webhook-timestamp",
  }),
  ApiHeader({
    name: 'svix-signature',
    required: false,
    description: "standard-webhooks: Svix's name for webhook-signature",
  }),
  ApiHeader({
    name: 'X-Up-Authenticity-Signature',
    required: false,
    description: 'up: hex HMAC-SHA256 of the raw body',
  }),
];
const decorate =
  (...ds: MethodDecorator[]): MethodDecorator =>
  (t, k, d) => {
    for (const dec of ds) dec(t, k, d);
  };

/** Bank deliveries: authenticated by signature (guard), made idempotent (interceptor), stored. */
@ApiTags('webhooks')
@ApiExtraModels(SeedWebhookBodyDto)
@Public()
@Controller('webhooks')
// Order matters: the client limit before the signature check, the bank limit after it.
@UseGuards(ClientRateLimitGuard, SignatureGuard, BankRateLimitGuard)
@UseInterceptors(IdempotencyInterceptor)
export class WebhooksController {
  constructor(private readonly intake: WebhookIntake) {}

  @Post('bank/transactions')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Transaction webhook of the built-in bank `default` (secret WEBHOOK_SECRET)',
  })
  @ApiBody({ type: SeedWebhookBodyDto })
  @decorate(...DOC_RESPONSES, ...DOC_HEADERS)
  receiveDefault(@Req() req: WebhookRequest): Promise<IntakeOutcome> {
    return this.intake.accept(req.delivery!);
  }

  @Post(':bankId/transactions')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Transaction webhook of a partner bank',
    description:
      'The body is the seed format for hmac-sha256 and standard-webhooks banks, ' +
      "or Up's webhook event for up banks. Signed over the exact raw bytes.",
  })
  @ApiParam({ name: 'bankId', example: 'acme' })
  @ApiBody({
    schema: {
      oneOf: [{ $ref: getSchemaPath(SeedWebhookBodyDto) }, UP_WEBHOOK_EVENT_SCHEMA],
    },
  })
  @decorate(...DOC_RESPONSES, ...DOC_HEADERS)
  receive(@Req() req: WebhookRequest): Promise<IntakeOutcome> {
    return this.intake.accept(req.delivery!);
  }
}
