import { ErrorMessage, type RejectionCode } from '@chat/contracts';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';

/** A failure in the contract's shape: `{ success: false, message }` with its status. */
export class RestError extends HttpException {
  constructor(status: number, message: string) {
    super({ success: false, message }, status);
  }
}

export const statusOfRejection: Record<RejectionCode, number> = {
  not_found: HttpStatus.NOT_FOUND,
  forbidden: HttpStatus.FORBIDDEN,
  invalid: HttpStatus.BAD_REQUEST,
  conflict: HttpStatus.CONFLICT,
  internal: HttpStatus.INTERNAL_SERVER_ERROR,
};

/**
 * Every error a REST client can get, in the contract's shape: ours, Nest's (unknown route,
 * body-parser's malformed or oversized JSON) and anything unexpected, which is logged and
 * answered 500 without its details.
 */
@Catch()
export class RestExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('rest');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      if (typeof body === 'object' && body !== null && (body as { success?: unknown }).success === false) {
        response.status(status).json(body);
        return;
      }
      response.status(status).json({ success: false, message: messageOf(status, body) });
      return;
    }
    const status = statusOfForeign(exception);
    if (status !== undefined) {
      response.status(status).json({ success: false, message: messageOf(status, exception) });
      return;
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    response.status(HttpStatus.INTERNAL_SERVER_ERROR).json({ success: false, message: ErrorMessage.InternalError });
  }
}

/** body-parser's errors carry a status of their own (400 malformed, 413 too large). */
function statusOfForeign(exception: unknown): number | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const status = (exception as { status?: unknown }).status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

function messageOf(status: number, body: unknown): string {
  if (status === HttpStatus.NOT_FOUND) return ErrorMessage.NotFound;
  if (status === HttpStatus.PAYLOAD_TOO_LARGE) return 'Request body too large';
  if (typeof body === 'string') return body;
  if (typeof body === 'object' && body !== null) {
    const { message, type } = body as { message?: unknown; type?: unknown };
    if (type === 'entity.parse.failed') return 'Malformed JSON body';
    if (typeof message === 'string') return message;
    if (Array.isArray(message)) return message.join('; ');
  }
  return `Request failed (${status})`;
}
