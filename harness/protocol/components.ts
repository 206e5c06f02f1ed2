/** @module AutoAttack's component ids and versions in the protocol's vocabulary (defined beside the attack). */
export {
  AUTOATTACK_VERSIONS,
  COMPONENTS,
  VERSIONS,
  type AutoAttackVersion,
  type Component,
} from '../../attacks/autoattack-components.ts';
