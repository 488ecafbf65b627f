export { auditKeyOf, type ChainWindow, canonicalDetail, sealOf, verifyAuditChain } from './audit-chain.ts';
export {
  type AuditLogDeps,
  auditRows,
  createAuditLog,
  createAuditService,
  verifyStoredChain,
} from './audit-log.ts';
