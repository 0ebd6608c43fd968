import { ErrorMessage, type RejectionCode } from '@chat/contracts';
import { type ArgumentsHost, BadRequestException, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
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
      // Nest turns Express's errors into plain BadRequestExceptions: a route parameter that
      // is not valid percent-encoding is an id that names nothing (404, as every other
      // non-id); anything else of that kind is the body parser refusing the body, whose own
      // text may quote the client's bytes back.
      if (exception instanceof BadRequestException) {
        const text = messageOf(status, body);
        if (text.startsWith('Failed to decode param')) {
          response.status(HttpStatus.NOT_FOUND).json({ success: false, message: ErrorMessage.NotFound });
        } else {
          response.status(status).json({ success: false, message: 'Malformed request body' });
        }
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

/** body-parser's errors that reach here carry a status of their own (413 too large). */
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
    const { message } = body as { message?: unknown };
    if (typeof message === 'string') return message;
    if (Array.isArray(message)) return message.join('; ');
  }
  return `Request failed (${status})`;
}
