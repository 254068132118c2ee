/**
 * The git command that makes `--base REF` resolve, for the hint when it does not. `git fetch` takes
 * a remote and a ref *on that remote*: for `--base origin/main` the old hint said
 * `git fetch origin origin/main`, which asks the remote for a branch called `origin/main` and
 * fails. So a remote-tracking ref is fetched by its branch name into that very ref (which also
 * works in a single-branch clone, whose default fetch would not update `origin/main`), a commit id
 * by itself, and any other name into the local ref of the same name, which is what `--base NAME`
 * then resolves.
 */
export function fetchCommand(ref: string, remotes: readonly string[]): string | null {
  // The ref without revision operators (`main~3`, `origin/main^{commit}`, `main@{1}`): fetched is the ref itself.
  const name = shortName(ref).replace(/[~^@:].*$/, "");
  if (name === "" || name === "HEAD") return null;
  const known = remotes.length > 0 ? remotes : ["origin"];
  const split = remoteSplit(name);
  if (split && known.includes(split.prefix)) {
    const { prefix, branch } = split;
    return `git fetch ${word(prefix)} ${word(`${branch}:refs/remotes/${prefix}/${branch}`)}`;
  }
  const remote = known.includes("origin") ? "origin" : known[0]!;
  if (/^[0-9a-f]{7,64}$/i.test(name)) return `git fetch ${word(remote)} ${word(name)}`;
  return `git fetch ${word(remote)} ${word(`${name}:${name}`)}`;
}

/** The ref without `refs/remotes/`: `refs/remotes/origin/main` reads as `origin/main`. */
const shortName = (ref: string) => ref.replace(/^refs\/remotes\//, "");

/** `origin/main` as its first part and the rest, which is a remote and its branch when that remote exists. */
function remoteSplit(name: string): { prefix: string; branch: string } | null {
  const slash = name.indexOf("/");
  return slash > 0 ? { prefix: name.slice(0, slash), branch: name.slice(slash + 1) } : null;
}

/** How every hint ends: a CI checkout's shallow clone is the usual reason a ref is missing. */
const FULL_HISTORY = "or in CI check out with full history (fetch-depth: 0)";

/** A word to paste into a shell: as it is when plain, else single-quoted. */
function word(text: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The hint for a `--base REF` that names no commit. A repository with no remote at all (a project
 * just made with `wk init`, whose `npm run plan` says `--base origin/main`) gets no fetch command,
 * which would only fail again: it is told what it can compare with today. A remote-tracking name
 * whose remote this repository lacks names the remotes it has.
 */
export function missingBaseHint(ref: string, remotes: readonly string[]): string {
  const withoutRemote =
    "compare with the last commit (--base HEAD), or leave out --base to plan everything as new; --base origin/main works once the project is pushed and fetched";
  const prefix = remoteSplit(shortName(ref))?.prefix ?? null;
  if (remotes.length === 0) return `check the name (git branch -a); this repository has no remote yet to fetch it from: ${withoutRemote}`;
  // `origin/...` (or any refs/remotes/ name) read as a remote's branch; other slashed names may be local branches (feature/x).
  if (prefix !== null && !remotes.includes(prefix) && (ref.startsWith("refs/remotes/") || prefix === "origin")) {
    return `this repository has no remote called ${word(prefix)} (it has ${remotes.map(word).join(", ")}): check the name (git branch -a), ${FULL_HISTORY}`;
  }
  const fetch = fetchCommand(ref, remotes);
  return `check the name (git branch -a), ${fetch ? `fetch it (${fetch}), ` : ""}${FULL_HISTORY}`;
}
