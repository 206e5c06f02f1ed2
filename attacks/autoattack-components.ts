/**
 * @module AutoAttack's component ids and versions, as plain data: the attack, the protocol's schema and the
 * site (which must not load tfjs) all read this one list.
 */

/** Every component, in the order the site lists them. */
export const COMPONENTS = ['apgd-ce', 'apgd-dlr', 'apgd-t', 'fab', 'fab-t', 'square'] as const;
export type Component = (typeof COMPONENTS)[number];
export const AUTOATTACK_VERSIONS = ['standard', 'plus', 'rand', 'custom'] as const;
export type AutoAttackVersion = (typeof AUTOATTACK_VERSIONS)[number];

/** The components each named version runs, in order ('custom' takes its own list). */
export const VERSIONS: Readonly<Record<Exclude<AutoAttackVersion, 'custom'>, readonly Component[]>> = {
  standard: ['apgd-ce', 'apgd-t', 'fab-t', 'square'],
  plus: ['apgd-ce', 'apgd-dlr', 'fab', 'square', 'apgd-t', 'fab-t'],
  rand: ['apgd-ce', 'apgd-dlr'],
};
