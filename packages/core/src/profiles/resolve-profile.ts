import { readBoolean, toStringList } from '../options/validate.js';
import { PROFILE_NAMES, PROVIDER_PROFILES, type ProfileName, type ProviderProfile } from './profiles.js';

/** The options a profile gives defaults to. */
export interface ProfileOptions {
  profile?: ProfileName;
  allowGenericJwtTyp?: boolean;
  requiredClaims?: string[];
  clientIdClaim?: string | string[];
  scopeClaims?: string[];
}

/** A profile with the user's explicit options applied over its defaults. */
export interface ResolvedProfile {
  profile: ProviderProfile;
  allowGenericJwtTyp: boolean;
  requiredClaims: readonly string[];
  /** Read after `client_id`, in order. */
  clientIdClaims: readonly string[];
  scopeClaims: readonly string[];
}

/** Picks the profile (default `rfc9068`) and applies the explicit options; a bad value is a `TypeError` naming it. */
export function resolveProfile(options: ProfileOptions): ResolvedProfile {
  const name = options.profile ?? 'rfc9068';
  if (typeof name !== 'string' || !PROFILE_NAMES.includes(name)) {
    throw new TypeError(`resource-guard: "profile" must be one of ${PROFILE_NAMES.join(', ')}`);
  }
  const profile = PROVIDER_PROFILES[name];
  const clientIdClaims = options.clientIdClaim === undefined
    ? profile.clientIdClaims
    : toStringList(options.clientIdClaim, 'clientIdClaim').filter((claim) => claim !== 'client_id');
  return {
    profile,
    allowGenericJwtTyp: readBoolean(options.allowGenericJwtTyp, 'allowGenericJwtTyp', profile.allowGenericJwtTyp),
    requiredClaims: options.requiredClaims === undefined ? profile.requiredClaims : readClaimNames(options.requiredClaims, 'requiredClaims'),
    clientIdClaims,
    scopeClaims: options.scopeClaims === undefined ? profile.scopeClaims : readClaimNames(options.scopeClaims, 'scopeClaims'),
  };
}

function readClaimNames(value: unknown, name: string): readonly string[] {
  if (!Array.isArray(value) || !value.every((claim) => typeof claim === 'string' && claim.length > 0)) {
    throw new TypeError(`resource-guard: "${name}" must be an array of claim names`);
  }
  return [...new Set(value as string[])];
}
