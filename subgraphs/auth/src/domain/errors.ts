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

/** The caller may not do this (e.g. give a key a scope they do not hold themselves). */
export class NotAllowedError extends Error {}

export class UnknownApiKeyError extends Error {
  constructor(readonly keyId: string) {
    super(`No API key ${keyId}.`);
  }
}
