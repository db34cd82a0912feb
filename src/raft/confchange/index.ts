/**
 * Membership changes (etcd's `confchange` package): the {@link Changer} validates simple
 * and joint-consensus changes and computes the new configuration on copies, and
 * {@link restore} rebuilds a configuration from a `ConfState`.
 *
 * @module
 */
export { Changer, checkInvariants } from './changer.js';
export type { ChangeResult, ChangerBase } from './changer.js';
export { restore, toConfChangeSingle } from './restore.js';
