/**
 * `node test/bench/policy.ts`: one policy decision with warm rights (what every private page and API call asks),
 * beside the floor measured in the same run: the same number of calls of a function that reads the same request
 * and answers a constant. Goal: under 20 µs per decision.
 */
import { POLICY_ACTIONS, type PolicyRequest, type Principal } from '../../sidecar/core/index.ts';
import { decide } from '../../sidecar/policy/index.ts';

const GOAL_US = 20;
const CALLS = 1_000_000;
const ROUNDS = 5;

const now = Date.now();
const person: Principal = {
  kind: 'user',
  login: 'alice',
  admin: false,
  roles: ['deployer'],
  subject: 'okta:00u1',
};
const requests: PolicyRequest[] = POLICY_ACTIONS.flatMap((action) =>
  [false, true].map((isPrivate) => ({
    principal: person,
    action,
    repo: action === 'admin' ? null : { fullName: 'acme/app', private: isPrivate },
    access: { admin: false, push: true, pull: true, syncedAt: now - 1000 },
    now,
  })),
);

function floor(request: PolicyRequest) {
  return request.access !== null && request.principal.kind === 'user' ? { allow: true } : { allow: false };
}

function perCallUs(call: (request: PolicyRequest) => { allow: boolean }): { us: number; allowed: number } {
  let allowed = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) if (call(requests[i % requests.length] as PolicyRequest).allow) allowed++;
  return { us: Number(process.hrtime.bigint() - start) / 1000 / CALLS, allowed };
}

const decisions: number[] = [];
const floors: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  floors.push(perCallUs(floor).us);
  decisions.push(perCallUs(decide).us);
}
const median = (samples: number[]) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)] ?? 0;
const decision = median(decisions);
const base = median(floors);
console.log(
  `${CALLS} decisions over ${requests.length} requests (every action, both visibilities), ${ROUNDS} rounds, median`,
);
console.log(`floor (read the request, answer a constant): ${(base * 1000).toFixed(0)} ns per call`);
console.log(
  `policy decision with warm rights:           ${(decision * 1000).toFixed(0)} ns per call (${(decision / base).toFixed(1)}x the floor); goal < ${GOAL_US} µs ${decision < GOAL_US ? 'ok' : 'OVER'}`,
);
