export {
  createHookSecretResolver,
  HOOK_SECRET_CACHE,
  type HookSecretResolver,
} from './hook-secrets.ts';
export { createInbox, type InboundHook, type Inbox, type InboxOutcome } from './inbox.ts';
export {
  createDeliveryIntake,
  type DeliveryIntake,
  type IntakeOutcome,
  type VerifiedDelivery,
} from './intake.ts';
export { createReconciler, type ReconcileReport, type Reconciler } from './reconcile.ts';
export { createThreadedIntake } from './threaded-intake.ts';
