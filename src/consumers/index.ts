/**
 * Every consumer the worker process runs. Each pipeline lives in its own folder
 * (documents/, journey/, decision-support/, fhir/) and is registered here.
 *
 * Empty until the pipelines land: jobs of unregistered types wait, durably, in the
 * queue (the journey and rules triggers already record theirs).
 */
import type { Consumer } from '../events/consumer.js';

export function registeredConsumers(): Consumer[] {
  return [];
}
