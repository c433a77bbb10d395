/** Domain failures the resolvers translate to coded GraphQL errors. */
export class OrderNotFoundError extends Error {
  constructor() {
    super('No such order.');
  }
}
export class OrderForbiddenError extends Error {
  constructor() {
    super('Not allowed to change this order.');
  }
}
export class InvalidTransitionError extends Error {}
