# bash completion for halfopen(8) and halfopend(8)

_halfopen()
{
	local cur prev words cword
	_init_completion || return

	local cmds="status limit ps stats events top metrics policy pardon run"
	local cmd="" i
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-*) ;;
		*) cmd=${words[i]}; break ;;
		esac
	done

	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$cmds -j --json -h --help -V --version" -- "$cur"))
		return
	fi
	case $cmd in
	limit)
		COMPREPLY=($(compgen -W "default unlimited --persist -j" -- "$cur")) ;;
	ps)
		case $prev in
		-u | --user) COMPREPLY=($(compgen -u -- "$cur")); return ;;
		-p | --pid) COMPREPLY=($(compgen -W "$(command ps -e -o pid= 2>/dev/null)" -- "$cur")); return ;;
		--state) COMPREPLY=($(compgen -W "in-flight queued" -- "$cur")); return ;;
		--cgroup | -n) return ;;
		esac
		COMPREPLY=($(compgen -W "-p -u --cgroup --state -n -j" -- "$cur")) ;;
	stats) COMPREPLY=($(compgen -W "--procs --cgroups -j" -- "$cur")) ;;
	events) COMPREPLY=($(compgen -W "-f --follow -j" -- "$cur")) ;;
	top) COMPREPLY=($(compgen -W "-b -n" -- "$cur")) ;;
	status) COMPREPLY=($(compgen -W "-j" -- "$cur")) ;;
	policy)
		local sub=${words[i + 1]} n=$((cword - i))
		if ((n == 1)); then
			COMPREPLY=($(compgen -W "list set del" -- "$cur"))
		elif [[ $sub == list ]]; then
			COMPREPLY=($(compgen -W "-j" -- "$cur"))
		elif ((n == 2)); then
			COMPREPLY=($(compgen -W "cgroup user" -- "$cur"))
		elif ((n == 3)) && [[ $prev == user ]]; then
			COMPREPLY=($(compgen -u -- "$cur"))
		elif ((n == 3)); then
			local root
			root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts 2>/dev/null)
			[[ -n $root ]] && COMPREPLY=($(cd "$root" && compgen -d -- "${cur#/}" | sed 's|^|/|'))
		elif ((n == 4)) && [[ $sub == set ]]; then
			COMPREPLY=($(compgen -W "limit exempt" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "--persist" -- "$cur"))
		fi ;;
	pardon)
		if ((cword - i == 1)); then
			COMPREPLY=($(compgen -W "pid cgroup user" -- "$cur"))
		elif [[ $prev == user ]]; then
			COMPREPLY=($(compgen -u -- "$cur"))
		elif [[ $prev == pid ]]; then
			COMPREPLY=($(compgen -W "$(command ps -e -o pid= 2>/dev/null)" -- "$cur"))
		elif [[ $prev == cgroup ]]; then
			local root
			root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts 2>/dev/null)
			[[ -n $root ]] && COMPREPLY=($(cd "$root" && compgen -d -- "${cur#/}" | sed 's|^|/|'))
		fi ;;
	run)
		case $prev in
		--limit) return ;;
		run) COMPREPLY=($(compgen -W "--limit --exempt --" -- "$cur")); return ;;
		esac
		COMPREPLY=($(compgen -c -- "$cur")) ;;
	esac
}
complete -F _halfopen halfopen

_halfopend()
{
	local cur prev words cword
	_init_completion || return

	case $prev in
	-f | --config) _filedir conf; return ;;
	-l | --limit) COMPREPLY=($(compgen -W "default unlimited" -- "$cur")); return ;;
	--release) COMPREPLY=($(compgen -W "fair fifo rate:" -- "$cur")); return ;;
	--mode) COMPREPLY=($(compgen -W "contain original" -- "$cur")); return ;;
	--socket-interface) COMPREPLY=($(compgen -W "0 1" -- "$cur")); return ;;
	-Q | --queue-max | -T | --tracked-max | --queue-num | --event-interval | --stats-ttl | --metrics-port | \
		--metrics-uid | --rt-priority | --slot-timeout | --flag-after | --benign-success | \
		--scanner-success | --contain-rate | --working-set | --quiet)
		return ;;
	esac
	COMPREPLY=($(compgen -W "-l --limit -Q --queue-max -T --tracked-max --queue-num
		--event-interval --stats-ttl --metrics-port --metrics-uid --rt-priority --release --mode
		--slot-timeout --flag-after --benign-success --scanner-success --contain-rate
		--working-set --quiet --socket-interface -f --config -n --check --cleanup
		-v --verbose -h --help -V --version" -- "$cur"))
}
complete -F _halfopend halfopend
