// The closed error taxonomy. Services throw these; one handler (platform/http/errors.ts) maps them to
// the envelope of API-CONVENTIONS. Anything else becomes a 500 with no internals in the body.

export interface ErrorDetail {
  path: string
  message: string
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers?: Record<string, string>,
  ) {
    super(message)
    this.name = new.target.name
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: ErrorDetail[]) {
    super(400, 'validation_failed', message, details)
  }
  /** One bad field: `ValidationError.field('email', 'is already taken')`. */
  static field(path: string, message: string): ValidationError {
    return new ValidationError(`${path} ${message}`, [{ path, message }])
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'Authentication required', code = 'unauthenticated') {
    super(401, code, message)
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'You do not have permission to do this', code = 'forbidden') {
    super(403, code, message)
  }
}

export class NotFoundError extends AppError {
  constructor(what = 'Resource') {
    super(404, 'not_found', `${what} not found`)
  }
}

export class ConflictError extends AppError {
  constructor(message: string, code = 'conflict', details?: ErrorDetail[]) {
    super(409, code, message, details)
  }
}

/** A valid request that the current state refuses (422). */
export class StateError extends AppError {
  constructor(message: string, code = 'invalid_state', details?: ErrorDetail[]) {
    super(422, code, message, details)
  }
}

export class RateLimitError extends AppError {
  constructor(retryAfterSeconds: number, message = 'Too many requests, slow down') {
    super(429, 'rate_limited', message, undefined, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) })
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(message = 'Request body is too large') {
    super(413, 'payload_too_large', message)
  }
}

export class UnsupportedMediaTypeError extends AppError {
  constructor(message = 'Unsupported media type') {
    super(415, 'unsupported_media_type', message)
  }
}
