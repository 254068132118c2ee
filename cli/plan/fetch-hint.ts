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
  const name = ref.replace(/^refs\/remotes\//, "").replace(/[~^@:].*$/, "");
  if (name === "" || name === "HEAD") return null;
  const known = remotes.length > 0 ? remotes : ["origin"];
  const slash = name.indexOf("/");
  const prefix = slash > 0 ? name.slice(0, slash) : null;
  if (prefix !== null && known.includes(prefix)) {
    const branch = name.slice(slash + 1);
    return `git fetch ${word(prefix)} ${word(`${branch}:refs/remotes/${prefix}/${branch}`)}`;
  }
  const remote = known.includes("origin") ? "origin" : known[0]!;
  if (/^[0-9a-f]{7,64}$/i.test(name)) return `git fetch ${word(remote)} ${word(name)}`;
  return `git fetch ${word(remote)} ${word(`${name}:${name}`)}`;
}

/** A word to paste into a shell: as it is when plain, else single-quoted. */
function word(text: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
