import { BadUserInputError } from '@brigade/platform/problems';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 200;
const EMAIL_MAX = 254;
const NAME_MAX = 100;
// Deliberately loose (one @, a dot in the domain, no spaces): the only real check is a mail that arrives.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Trimmed email, or BadUserInputError naming `email`. */
export function normalizeEmail(raw: string): string {
  const email = raw.trim();
  if (email.length > EMAIL_MAX || !EMAIL.test(email)) {
    throw new BadUserInputError('Enter a valid email address.', 'email');
  }
  return email;
}

export function checkPassword(password: string): void {
  // Counted in code points so an emoji password is not penalised for its UTF-16 length.
  const length = [...password].length;
  if (length < PASSWORD_MIN || length > PASSWORD_MAX) {
    throw new BadUserInputError(`Password must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters.`, 'password');
  }
}

export function normalizeName(raw: string): string {
  const name = raw.trim();
  const length = [...name].length;
  if (length < 1 || length > NAME_MAX) {
    throw new BadUserInputError(`Name must be 1 to ${NAME_MAX} characters.`, 'name');
  }
  return name;
}

export interface SignUp {
  readonly email: string;
  readonly password: string;
  readonly name: string;
}

export function validateSignUp(input: SignUp): SignUp {
  const email = normalizeEmail(input.email);
  checkPassword(input.password);
  return { email, password: input.password, name: normalizeName(input.name) };
}
