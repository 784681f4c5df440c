import { HttpException, HttpStatus } from '@nestjs/common';

/** One field-level validation message, as the contract's `errors` list carries it. */
export interface ProblemField {
  field: string;
  message: string;
}

/** RFC 9457 problem details. `type` is a relative URI naming the kind of problem. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: ProblemField[];
  correlation_id?: string;
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function statusTitle(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');
}

/** Thrown anywhere to answer a problem; the global filter renders it. */
export class ProblemException extends HttpException {
  constructor(
    status: HttpStatus,
    readonly slug: string,
    detail: string,
    readonly extras: { errors?: ProblemField[]; title?: string; [k: string]: unknown } = {},
  ) {
    super(detail, status);
  }

  toBody(): ProblemBody {
    const { errors, title, ...rest } = this.extras;
    return {
      type: `/problems/${this.slug}`,
      title: title ?? statusTitle(this.getStatus()),
      status: this.getStatus(),
      detail: this.message,
      ...(errors ? { errors } : {}),
      ...rest,
    };
  }
}

export const notFound = (what: string, id: string): ProblemException =>
  new ProblemException(HttpStatus.NOT_FOUND, 'not-found', `${what} ${id} does not exist`);

export const validationProblem = (errors: ProblemField[], detail?: string): ProblemException =>
  new ProblemException(
    HttpStatus.BAD_REQUEST,
    'validation-error',
    detail ?? 'The request is not valid; see errors',
    { errors },
  );
