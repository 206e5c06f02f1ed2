/** @module The error a read model throws for an id the store does not have; the routes answer it with a 404. */
export class NotFound extends Error {
  constructor(
    readonly what: string,
    readonly id: string,
  ) {
    super(`No ${what} '${id}'`);
    this.name = 'NotFound';
  }
}
