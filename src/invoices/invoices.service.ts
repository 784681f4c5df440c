import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import type { DataSource } from 'typeorm';
import { exportFileName, streamExport } from '../common/export';
import { invoicesExportSql, type InvoiceExportQuery } from './invoices.exports';
import type { StaffPrincipal } from '../auth/api-keys.service';
import { appendAudit } from '../audit/audit-log';
import { formatAmount, isCurrency, parseAmount } from '../common/money';
import {
  notFound,
  ProblemException,
  validationProblem,
  type ProblemField,
} from '../common/problem';
import { decodeUuidCursor, keysetPage, type Page } from '../common/pagination';
import { normalizeInvoiceNumber } from '../reconciliation/matcher';
import { deletionKeys } from '../reconciliation/suggestions/near-reference';
import { partyKey } from '../reconciliation/suggestions/party';
import { MATCH_SELECT, type MatchRow, toMatchDto } from '../reconciliation/reconciliation.mappers';
import { InvoiceEntity } from './invoice.entity';
import { invoiceNumberProblem } from './invoice-number';
import type {
  CreateInvoiceDto,
  InvoiceDto,
  InvoiceListQuery,
  InvoiceWithAllocationsDto,
} from './invoices.dto';
import { toInvoiceDto } from './invoices.mapper';
import { storableInstant } from '../common/timestamps';

@Injectable()
export class InvoicesService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async create(body: CreateInvoiceDto, staff: StaffPrincipal): Promise<InvoiceDto> {
    const number = body.invoice_number.trim();
    const errors: ProblemField[] = [];
    const numberProblem = invoiceNumberProblem(number);
    if (numberProblem) errors.push({ field: 'invoice_number', message: numberProblem });
    let amountDue = '';
    if (!isCurrency(body.currency)) {
      errors.push({ field: 'currency', message: 'must be an ISO 4217 code such as NGN' });
    } else {
      const parsed = parseAmount(body.amount_due, body.currency);
      if (parsed.ok) amountDue = parsed.value;
      else errors.push({ field: 'amount_due', message: parsed.message });
    }
    if (body.due_date !== undefined && !isCalendarDate(body.due_date)) {
      errors.push({ field: 'due_date', message: 'must be a real date such as 2026-03-31' });
    }
    if (errors.length > 0) throw validationProblem(errors);

    const normalized = normalizeInvoiceNumber(number);
    // With its suggestion keys: the customer's key (a payer's open invoices) and the number's
    // near-reference lookup keys, in the same statement.
    const rows = await this.dataSource.query<Array<{ id: string }>>(
      `WITH ins AS (
         INSERT INTO invoices (invoice_number, normalized_number, customer, currency, amount_due,
                               due_date, customer_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (normalized_number) DO NOTHING RETURNING id),
       keys AS (
         INSERT INTO invoice_near_keys (key, invoice_id)
         SELECT k, ins.id FROM ins, unnest($8::text[]) AS k),
       audit AS (
         INSERT INTO audit_log (actor, actor_key_id, action, entity, entity_id, data)
         SELECT $9, $10, 'invoice.created', 'invoice', ins.id::text, $11::jsonb FROM ins)
       SELECT id FROM ins`,
      [
        number,
        normalized,
        body.customer ?? null,
        body.currency,
        amountDue,
        body.due_date ?? null,
        partyKey(body.customer),
        deletionKeys(normalized),
        staff.name,
        staff.keyId,
        JSON.stringify({
          invoice_number: number,
          customer: body.customer ?? null,
          currency: body.currency,
          amount_due: formatAmount(amountDue, body.currency),
          due_date: body.due_date ?? null,
        }),
      ],
    );
    if (rows.length === 0) {
      const existing = await this.repo().findOneBy({ normalizedNumber: normalized });
      throw new ProblemException(
        HttpStatus.CONFLICT,
        'invoice-number-taken',
        `Invoice number ${number} is taken` +
          (existing ? ` (by ${existing.invoiceNumber}, id ${existing.id})` : '') +
          '; numbers are compared ignoring case and separators',
        { existing_invoice_id: existing?.id ?? null },
      );
    }
    return this.getPlain(rows[0].id);
  }

  async get(id: string): Promise<InvoiceWithAllocationsDto> {
    const invoice = await this.getPlain(id);
    const allocations = await this.dataSource.query<MatchRow[]>(
      `${MATCH_SELECT} WHERE m.invoice_id = $1 ORDER BY m.created_at, m.id`,
      [id],
    );
    return { ...invoice, allocations: allocations.map(toMatchDto) };
  }

  async list(query: InvoiceListQuery): Promise<Page<InvoiceDto>> {
    const after = decodeUuidCursor(query.cursor);
    const qb = this.repo()
      .createQueryBuilder('i')
      .orderBy('i.created_at', 'ASC')
      .addOrderBy('i.id', 'ASC')
      .take(query.limit + 1);
    if (query.status) qb.andWhere('i.status = :status', { status: query.status });
    if (query.number !== undefined) {
      qb.andWhere('i.normalized_number = :n', { n: normalizeInvoiceNumber(query.number) });
    }
    if (after) qb.andWhere('(i.created_at, i.id) > (:at, :id)', { at: after.at, id: after.id });
    const rows = await qb.getMany();
    return keysetPage(rows, query.limit, toInvoiceDto, (i) => ({ at: i.createdAt, id: i.id }));
  }

  /**
   * Cancels an unpaid invoice. One with live allocations is refused: reverse them first, so
   * that no money silently stays allocated to an invoice nobody owes. Cancelling again is a no-op.
   */
  async cancel(id: string, staff: StaffPrincipal): Promise<InvoiceDto> {
    await this.dataSource.transaction(async (m) => {
      const [row] = await m.query<
        Array<{ status: string; amount_paid: string; invoice_number: string }>
      >(
        `SELECT status, amount_paid, invoice_number FROM invoices WHERE id = $1 FOR NO KEY UPDATE`,
        [id],
      );
      if (!row) throw notFound('Invoice', id);
      if (row.status === 'cancelled') return;
      if (row.status !== 'pending') {
        throw new ProblemException(
          HttpStatus.CONFLICT,
          'invoice-has-allocations',
          `The invoice is ${row.status}; reverse its allocations before cancelling it`,
        );
      }
      await m.query(
        `UPDATE invoices SET status = 'cancelled', cancelled_at = now(), cancelled_by = $2,
                updated_at = now()
          WHERE id = $1`,
        [id, staff.name],
      );
      await appendAudit(m, [
        {
          actor: { name: staff.name, keyId: staff.keyId },
          action: 'invoice.cancelled',
          entity: 'invoice',
          entityId: id,
          data: { invoice_number: row.invoice_number },
        },
      ]);
    });
    return this.getPlain(id);
  }

  export(query: InvoiceExportQuery, res: Response): Promise<void> {
    return streamExport(this.dataSource, res, {
      sql: invoicesExportSql(query),
      format: query.format,
      fileName: exportFileName('invoices', query.format),
    });
  }

  private async getPlain(id: string): Promise<InvoiceDto> {
    const invoice = await this.repo().findOneBy({ id });
    if (!invoice) throw notFound('Invoice', id);
    return toInvoiceDto(invoice);
  }

  private repo() {
    return this.dataSource.getRepository(InvoiceEntity);
  }
}

/** A real date PostgreSQL can store: it has no year 0. */
function isCalendarDate(value: string): boolean {
  const date = new Date(`${value}T00:00:00Z`);
  return storableInstant(date) && date.toISOString().slice(0, 10) === value;
}
