import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { unimplemented, type RpcContext } from './rpc.js';

/** The Auth service's RPCs, all unary. */
const AUTH_METHODS = [
  'AuthEnable', 'AuthDisable', 'AuthStatus', 'Authenticate', 'UserAdd', 'UserGet', 'UserList', 'UserDelete', 'UserChangePassword',
  'UserGrantRole', 'UserRevokeRole', 'RoleAdd', 'RoleGet', 'RoleList', 'RoleDelete', 'RoleGrantPermission', 'RoleRevokePermission',
] as const;

/** The message every Auth RPC answers with. */
export const AUTH_UNIMPLEMENTED = 'raftkit: the etcd Auth service (users, roles, tokens) is not implemented; use client certificates (--client-cert-auth) to control access';

/**
 * The Auth service: every RPC answers `UNIMPLEMENTED` with {@link AUTH_UNIMPLEMENTED}.
 * @internal
 */
export function authService(ctx: RpcContext): UntypedServiceImplementation {
  const out: UntypedServiceImplementation = {};
  for (const m of AUTH_METHODS) out[m] = unimplemented(ctx, 'etcdserverpb.Auth', m, 'unary', AUTH_UNIMPLEMENTED);
  return out;
}
