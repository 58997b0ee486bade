/** Every /api route, in the order the OpenAPI document lists them. */
import type { Pool } from '../../db/pool.js';
import type { FileStorage } from '../../providers/storage/types.js';
import type { AnyRoute } from '../route.js';
import { auditTrailRoutes } from './audit-trail.js';
import { grantRoutes } from './grants.js';
import { providerPortalRoutes } from './provider-portal.js';
import { alertRoutes } from './alerts.js';
import { documentRoutes } from './documents.js';
import { jobRoutes } from './jobs.js';
import { journeyRoutes } from './journey.js';
import { meRoutes } from './me.js';
import type { JourneyCache } from './journey-cache.js';
import { profileRoutes } from './profiles.js';
import { reportRoutes } from './reports.js';
import { searchRoutes } from './search.js';

export interface ApiDeps {
  pool: Pool;
  storage: FileStorage;
  maxUploadBytes: number;
  journeyCache: JourneyCache;
}

export function apiRoutes(deps: ApiDeps): AnyRoute[] {
  return [...meRoutes(), ...profileRoutes(), ...documentRoutes({ storage: deps.storage, maxUploadBytes: deps.maxUploadBytes }), ...jobRoutes(), ...journeyRoutes({ cache: deps.journeyCache }), ...alertRoutes(), ...reportRoutes(), ...searchRoutes(), ...grantRoutes(), ...providerPortalRoutes(), ...auditTrailRoutes()];
}
