import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Req,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { StaffPrincipal } from '../../auth/api-keys.service';
import { MinRole } from '../../auth/roles.decorator';
import type { StaffRequest } from '../../auth/roles.guard';
import {
  AcceptedSuggestionDto,
  CreateWriteOffRuleDto,
  DeclineSuggestionDto,
  SuggestionListDto,
  WriteOffRuleDto,
  WriteOffRuleListDto,
} from './suggestions.dto';
import { SuggestionsService } from './suggestions.service';

const staffOf = (req: StaffRequest): StaffPrincipal => req.staff as StaffPrincipal;

@ApiTags('reconciliation')
@ApiBearerAuth()
@MinRole('viewer')
@Controller('reconcile')
export class SuggestionsController {
  constructor(private readonly suggestions: SuggestionsService) {}

  @Get('exceptions/:transaction_id/suggestions')
  @ApiOperation({
    summary:
      'Ranked candidate allocations for an exception, each with its evidence (reference, ' +
      'amount, party, date, currency), best first, at most 5',
  })
  @ApiResponse({ status: 200, type: SuggestionListDto })
  @ApiResponse({ status: 404, description: 'The transaction has no exception' })
  list(
    @Param('transaction_id', new ParseUUIDPipe()) transactionId: string,
  ): Promise<SuggestionListDto> {
    return this.suggestions.list(transactionId);
  }

  @Post('suggestions/:id/accept')
  @HttpCode(200)
  @MinRole('operator')
  @ApiOperation({
    summary:
      'Accept a suggestion (operator): its allocations, write-off or reversal are made exactly ' +
      'as shown, audited as you',
  })
  @ApiResponse({ status: 200, type: AcceptedSuggestionDto })
  @ApiResponse({ status: 404, description: 'Unknown suggestion' })
  @ApiResponse({ status: 409, description: 'The money moved since it was suggested' })
  accept(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Req() req: StaffRequest,
  ): Promise<AcceptedSuggestionDto> {
    return this.suggestions.accept(id, staffOf(req));
  }

  @Post('suggestions/:id/decline')
  @HttpCode(204)
  @MinRole('operator')
  @ApiOperation({
    summary: 'Decline a suggestion (operator): that candidate is never proposed again for it',
  })
  @ApiResponse({ status: 204, description: 'Declined' })
  @ApiResponse({ status: 404, description: 'Unknown suggestion' })
  async decline(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: DeclineSuggestionDto,
    @Req() req: StaffRequest,
  ): Promise<void> {
    await this.suggestions.decline(id, body.reason, staffOf(req));
  }

  @Post('write-off-rules')
  @MinRole('operator')
  @ApiOperation({
    summary:
      'Create a write-off rule (operator): a payment naming one open invoice and short of it by ' +
      'no more than this pays it in full, the difference written off',
  })
  @ApiResponse({ status: 201, type: WriteOffRuleDto })
  createRule(
    @Body() body: CreateWriteOffRuleDto,
    @Req() req: StaffRequest,
  ): Promise<WriteOffRuleDto> {
    return this.suggestions.createRule(body, staffOf(req));
  }

  @Get('write-off-rules')
  @ApiOperation({ summary: 'The write-off rules in force' })
  @ApiResponse({ status: 200, type: WriteOffRuleListDto })
  listRules(): Promise<WriteOffRuleListDto> {
    return this.suggestions.listRules();
  }

  @Delete('write-off-rules/:id')
  @HttpCode(204)
  @MinRole('operator')
  @ApiOperation({
    summary: 'Delete a write-off rule (operator): no longer applied; its write-offs stay',
  })
  @ApiResponse({ status: 204, description: 'Deleted' })
  @ApiResponse({ status: 404, description: 'Unknown or already deleted rule' })
  async deleteRule(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Req() req: StaffRequest,
  ): Promise<void> {
    await this.suggestions.deleteRule(id, staffOf(req));
  }
}
