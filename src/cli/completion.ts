/**
 * Shell completion of names (pools, networks, pending request ids) on top of
 * oclif's autocomplete plugin, which completes commands and flags only: our
 * function answers where a name is expected, by asking the hidden
 * `ipam complete <kind>`, and hands every other position to the plugin's.
 */

/** Where a name is expected: `topic verb` -> kind of the first argument (requests: every argument). */
const ARGUMENT_NAMES: [string, 'networks' | 'pools' | 'requests'][] = [
  ['networks show', 'networks'], ['networks remove', 'networks'], ['networks map', 'networks'],
  ['pools show', 'pools'], ['pools remove', 'pools'], ['ranges add', 'pools'],
  ['requests approve', 'requests'], ['requests reject', 'requests'], ['requests show', 'requests'],
]

export function completionScript(shell: 'bash' | 'zsh', bin: string): string {
  const fn = `_${bin.replace(/\W/g, '_')}_names`
  if (shell === 'bash') {
    const cases = ARGUMENT_NAMES.map(([cmd, kind]) => `    "${cmd}") if [[ $COMP_CWORD -eq 3 || ( "${kind}" == requests && $COMP_CWORD -gt 3 ) ]]; then kind=${kind}; fi ;;`).join('\n')
    return `# ${bin} completion for bash: commands and flags (oclif), and names from the database.
# Add to ~/.bashrc:  eval "$(${bin} completion bash)"   (run \`${bin} autocomplete\` once first)
eval "$(${bin} autocomplete script bash 2>/dev/null)"
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" kind=""
  case "\${COMP_WORDS[1]} \${COMP_WORDS[2]}" in
${cases}
  esac
  case "$prev" in --pool) kind=pools ;; --network) kind=networks ;; esac
  if [[ -n "$kind" && "$cur" != -* ]]; then
    local IFS=$'\\n'
    COMPREPLY=($(compgen -W "$(${bin} complete "$kind" 2>/dev/null)" -- "$cur"))
    return 0
  fi
  if declare -F _${bin}_autocomplete >/dev/null; then _${bin}_autocomplete; fi
}
complete -o default -F ${fn} ${bin}
`
  }
  const cases = ARGUMENT_NAMES.map(([cmd, kind]) => `    "${cmd}") if (( CURRENT == 4 )) || [[ ${kind} == requests ]]; then kind=${kind}; fi ;;`).join('\n')
  return `# ${bin} completion for zsh: commands and flags (oclif), and names from the database.
# Add to ~/.zshrc:  eval "$(${bin} completion zsh)"   (run \`${bin} autocomplete\` once first)
eval "$(${bin} autocomplete script zsh 2>/dev/null)"
${fn}() {
  local kind=""
  case "\${words[2]} \${words[3]}" in
${cases}
  esac
  case "\${words[CURRENT-1]}" in --pool) kind=pools ;; --network) kind=networks ;; esac
  if [[ -n "$kind" && "\${words[CURRENT]}" != -* ]]; then
    local -a names
    names=(\${(f)"$(${bin} complete $kind 2>/dev/null)"})
    compadd -a names
    return
  fi
  (( $+functions[_${bin}] )) || autoload -Uz _${bin} 2>/dev/null
  (( $+functions[_${bin}] )) && _${bin} "$@"
}
compdef ${fn} ${bin}
`
}
