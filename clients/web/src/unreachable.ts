// The platform's exhaustive-switch idiom (@brigade/platform/problems), which this browser bundle does not import.
/**
 * Ends every exhaustive switch: `default: throw new UnreachableCaseError(value)` compiles only while `value`
 * is `never`, so a new member of a union fails the build where it is not handled. Where a value from the wire
 * may still be one this build does not know, the switch folds the error (or its `value`) into its answer instead.
 */
export class UnreachableCaseError extends Error {
  readonly value: unknown;

  constructor(value: never) {
    super(`Unreachable case: ${JSON.stringify(value)}`);
    this.value = value;
  }
}
