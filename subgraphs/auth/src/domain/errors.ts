import { UnauthenticatedError } from '@brigade/platform/problems';

/** One message for an unknown email and a wrong password, so neither reveals which accounts exist. */
export class InvalidCredentialsError extends UnauthenticatedError {
  constructor() {
    super('Invalid email or password.');
  }
}

export class InvalidRefreshTokenError extends UnauthenticatedError {
  constructor() {
    super('Invalid or expired refresh token.');
  }
}
