/**
 * How OCR and extraction providers fail, in their own terms: the document pipeline (and
 * `npm run extract`) decides what a failure means for a job.
 *
 * - InputRejectedError: this input cannot be read as it is (an encrypted PDF, an image too
 *   large to decode, a provider answering 400); trying again changes nothing.
 * - ProviderFailedError: the provider failed or could not be reached (a 503, a timeout, an
 *   answer that broke its own schema); a later attempt may succeed.
 *
 * Codes are lower_snake and stable: they reach documents.error_code and the api.
 */
export abstract class ProviderError extends Error {
  abstract readonly retryable: boolean;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class InputRejectedError extends ProviderError {
  override readonly name = 'InputRejectedError';
  readonly retryable = false;
}

export class ProviderFailedError extends ProviderError {
  override readonly name = 'ProviderFailedError';
  readonly retryable = true;
}
