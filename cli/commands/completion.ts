import { basename } from "node:path";
import { EXIT, type ExitStatus, UserError } from "../errors.js";

export type Shell = "bash" | "zsh";

/**
 * Both scripts ask the CLI itself for candidates (yargs answers `--get-yargs-completions`), so
 * they follow every command and option without being regenerated. They run the word the user
 * typed (`wk`, `watchkeeper`, or a path to either), and pass only the words up to the cursor.
 * The bash one avoids `mapfile` so that macOS's bash 3.2 runs it too.
 */
const BASH = `###-begin-wk-completions-###
# Completion of wk and watchkeeper commands and options for bash.
# Install: wk completion --shell bash >> ~/.bashrc
_wk_completions()
{
    local cur_word="\${COMP_WORDS[COMP_CWORD]}"
    local IFS=$'\\n'
    local candidates
    candidates="$("\${COMP_WORDS[0]}" --get-yargs-completions "\${COMP_WORDS[@]:0:COMP_CWORD+1}" 2>/dev/null)"
    COMPREPLY=($(compgen -W "\${candidates}" -- "\${cur_word}"))
    return 0
}
complete -o bashdefault -o default -F _wk_completions wk watchkeeper
###-end-wk-completions-###
`;

// ZSH_NAME makes yargs answer "name:description" pairs, which _describe shows beside each candidate.
const ZSH = `#compdef wk watchkeeper
###-begin-wk-completions-###
# Completion of wk and watchkeeper commands and options for zsh.
# Install: wk completion --shell zsh > "\${fpath[1]}/_wk"  (or append it to ~/.zshrc)
_wk_completions()
{
  local -a reply
  local IFS=$'\\n'
  reply=($(ZSH_NAME=zsh "\${words[1]}" --get-yargs-completions "\${(@)words[1,CURRENT]}" 2>/dev/null))
  if [[ \${#reply} -gt 0 ]]; then
    _describe 'values' reply
  else
    _default
  fi
}
if [[ "\${zsh_eval_context[-1]}" == "loadautofunc" ]]; then
  _wk_completions "$@"
else
  compdef _wk_completions wk watchkeeper
fi
###-end-wk-completions-###
`;

/** The completion script for a shell. */
export function completionScript(shell: Shell): string {
  return shell === "zsh" ? ZSH : BASH;
}

/** `--shell` when given, else the login shell named by $SHELL; bash when $SHELL is unset. */
export function chooseShell(flag: string | undefined, loginShell: string | undefined): Shell {
  if (flag === "bash" || flag === "zsh") return flag;
  const name = loginShell ? basename(loginShell) : "bash";
  if (name === "bash" || name === "zsh") return name;
  throw new UserError(`no completion script for ${name} (from $SHELL)`, EXIT.usage, "wk completes in bash and zsh: pass --shell bash or --shell zsh");
}

/** `wk completion [--shell bash|zsh]`: print the completion script for wk and watchkeeper. */
export async function run(args: Record<string, unknown>): Promise<ExitStatus> {
  const shell = chooseShell(typeof args["shell"] === "string" ? args["shell"] : undefined, process.env["SHELL"]);
  process.stdout.write(completionScript(shell));
  return EXIT.ok;
}
