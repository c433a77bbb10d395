/** Failures the domain reports; resolvers turn them into coded GraphQL errors. */
export class InvalidInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** One message for an unknown email and a wrong password, so neither reveals which accounts exist. */
export class InvalidCredentialsError extends Error {
  constructor() {
    super('Invalid email or password.');
  }
}

export class InvalidRefreshTokenError extends Error {
  constructor() {
    super('Invalid or expired refresh token.');
  }
}

export class UnknownUserError extends Error {
  constructor(readonly userId: string) {
    super(`No user ${userId}.`);
  }
}
