import { z } from 'zod';
import { branchNameProblem, buildRefProblem, commitShaProblem, tagNameProblem } from '../core/index.ts';

/**
 * The Gogs webhook payloads, as far as the sidecar reads them. Tolerant on purpose: unknown keys pass, and
 * fields that older Gogs versions leave out (2017 payloads lack `parent`, `size`, commit file lists, a
 * branch `sha`) default to empty values. What pushers choose and git will read is checked as git would: every
 * SHA is a full one (or '' where Gogs sends none) and every ref, branch and tag name passes git's own rules.
 */
// `catch` rather than nullish().transform(): the same tolerance at about half the cost on 8 KB payloads.
const text = z.string().catch('');

/** A string that `problem` finds nothing wrong with; its reason becomes the issue's message. */
function checked(problem: (value: string) => string | null, what: string) {
  return z.string().superRefine((value, context) => {
    const found = problem(value);
    if (found !== null) context.addIssue({ code: 'custom', message: `not a valid ${what}: ${found}` });
  });
}

const fullSha = checked(commitShaProblem, 'commit SHA');
/** Or '' where Gogs sends none. */
const sha = checked((value) => (value === '' ? null : commitShaProblem(value)), 'commit SHA');
const branchName = checked(branchNameProblem, 'branch name');
const tagName = checked(tagNameProblem, 'tag name');
/** Pushes name a full ref; mirror syncs a bare branch name. */
const pushedRef = checked(
  (ref) => (ref.startsWith('refs/') ? buildRefProblem(ref) : branchNameProblem(ref)),
  'ref',
);

export const gogsUserSchema = z.object({
  id: z.number().int(),
  username: text,
  login: text,
  full_name: text,
  email: text,
  avatar_url: text,
});

export const gogsRepoSchema = z.object({
  id: z.number().int().positive(),
  owner: gogsUserSchema,
  name: z.string().min(1),
  full_name: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'expected owner/name'),
  private: z.boolean(),
  fork: z.boolean().default(false),
  html_url: text,
  ssh_url: text,
  clone_url: text,
  default_branch: text,
});

const commitPersonSchema = z.object({ name: text, email: text, username: text });
const fileList = z
  .array(z.string())
  .nullish()
  .transform((value) => value ?? []);

export const payloadCommitSchema = z.object({
  id: fullSha,
  message: text,
  url: text,
  author: commitPersonSchema,
  committer: commitPersonSchema.optional(),
  added: fileList,
  removed: fileList,
  modified: fileList,
});

export const pushPayloadSchema = z.object({
  ref: pushedRef,
  before: sha,
  after: fullSha,
  compare_url: text,
  commits: z
    .array(payloadCommitSchema)
    .nullish()
    .transform((value) => value ?? []),
  repository: gogsRepoSchema,
  pusher: gogsUserSchema.nullish(),
  sender: gogsUserSchema,
});

/** Create and delete events name a branch or a tag, as `ref_type` says, by its short name. */
function namedByRefType<Shape extends z.ZodRawShape>(shape: Shape) {
  return z.discriminatedUnion('ref_type', [
    z.object({ ...shape, ref_type: z.literal('branch'), ref: branchName }),
    z.object({ ...shape, ref_type: z.literal('tag'), ref: tagName }),
  ]);
}

export const createPayloadSchema = namedByRefType({
  sha: sha.optional().transform((value) => value ?? ''),
  default_branch: text,
  repository: gogsRepoSchema,
  sender: gogsUserSchema,
});

export const deletePayloadSchema = namedByRefType({ repository: gogsRepoSchema, sender: gogsUserSchema });

const branchRepoSchema = z.object({
  full_name: text,
  clone_url: text,
});

export const pullRequestPayloadSchema = z.object({
  action: z.string().min(1),
  number: z.number().int().positive(),
  pull_request: z.object({
    number: z.number().int().positive(),
    title: text,
    body: text,
    html_url: text,
    state: z.enum(['open', 'closed']),
    merged: z.boolean().default(false),
    // null (or '') until the pull request is merged.
    merge_commit_sha: sha.nullish().transform((value) => value ?? ''),
    head_branch: branchName,
    head_repo: branchRepoSchema.nullish(),
    base_branch: branchName,
    base_repo: branchRepoSchema.nullish(),
  }),
  repository: gogsRepoSchema,
  sender: gogsUserSchema,
});

export const issueCommentPayloadSchema = z.object({
  action: z.enum(['created', 'edited', 'deleted']),
  issue: z.object({
    number: z.number().int().positive(),
    pull_request: z.object({ merged: z.boolean() }).nullish(),
  }),
  comment: z.object({ id: z.number().int(), body: text }),
  repository: gogsRepoSchema,
  sender: gogsUserSchema,
});

export const releasePayloadSchema = z.object({
  action: z.string().min(1),
  release: z.object({
    id: z.number().int(),
    tag_name: tagName,
    target_commitish: text,
    name: text,
    draft: z.boolean().default(false),
    prerelease: z.boolean().default(false),
  }),
  repository: gogsRepoSchema,
  sender: gogsUserSchema,
});

/** Just enough to know which repository a payload is about, before its signature can be checked. */
export const repositoryLocatorSchema = z.object({
  repository: z.object({ id: z.number().int().positive(), full_name: z.string() }),
});
