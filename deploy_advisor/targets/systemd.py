"""systemd unit files of a vps scaffold: `systemd-analyze verify`, else a check of key names."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from deploy_advisor.targets.base import Finding
from deploy_advisor.targets.tools import find_tool

__all__ = ["UNIT_KEYS", "check_systemd_units", "check_unit_keys"]

CHECK = "systemd"


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# The keys our units may use, per section (systemd.unit, .service, .exec, .kill, .resource-control,
# .timer and .socket); used only where systemd-analyze is not installed.
UNIT_KEYS: dict[str, frozenset[str]] = {
    "Unit": _names(
        "Description Documentation Wants Requires Requisite BindsTo PartOf Upholds Conflicts "
        "Before After OnFailure OnSuccess PropagatesReloadTo ReloadPropagatedFrom "
        "PropagatesStopTo StopPropagatedFrom JoinsNamespaceOf RequiresMountsFor "
        "OnFailureJobMode IgnoreOnIsolate StopWhenUnneeded RefuseManualStart RefuseManualStop "
        "AllowIsolate DefaultDependencies CollectMode FailureAction SuccessAction "
        "FailureActionExitStatus SuccessActionExitStatus JobTimeoutSec JobRunningTimeoutSec "
        "JobTimeoutAction JobTimeoutRebootArgument StartLimitIntervalSec StartLimitBurst "
        "StartLimitAction RebootArgument SourcePath ConditionPathExists AssertPathExists "
        "ConditionPathIsDirectory ConditionFileNotEmpty ConditionHost ConditionVirtualization"
    ),
    "Service": _names(
        "Type ExitType RemainAfterExit GuessMainPID PIDFile BusName ExecStart ExecStartPre "
        "ExecStartPost ExecCondition ExecReload ExecStop ExecStopPost RestartSec "
        "TimeoutStartSec TimeoutStopSec TimeoutAbortSec TimeoutSec TimeoutStartFailureMode "
        "TimeoutStopFailureMode RuntimeMaxSec RuntimeRandomizedExtraSec WatchdogSec Restart "
        "SuccessExitStatus RestartPreventExitStatus RestartForceExitStatus RootDirectoryStartOnly "
        "NonBlocking NotifyAccess Sockets FileDescriptorStoreMax USBFunctionDescriptors "
        "USBFunctionStrings OOMPolicy OpenFile ReloadSignal "
        # systemd.exec
        "WorkingDirectory RootDirectory RootImage MountAPIVFS ProtectProc ProcSubset BindPaths "
        "BindReadOnlyPaths MountImages ExtensionImages ExtensionDirectories User Group "
        "DynamicUser SupplementaryGroups PAMName CapabilityBoundingSet AmbientCapabilities "
        "NoNewPrivileges SecureBits SELinuxContext AppArmorProfile SmackProcessLabel LimitCPU "
        "LimitFSIZE LimitDATA LimitSTACK LimitCORE LimitRSS LimitNOFILE LimitAS LimitNPROC "
        "LimitMEMLOCK LimitLOCKS LimitSIGPENDING LimitMSGQUEUE LimitNICE LimitRTPRIO LimitRTTIME "
        "UMask CoredumpFilter KeyringMode OOMScoreAdjust TimerSlackNSec Personality "
        "IgnoreSIGPIPE Nice CPUSchedulingPolicy CPUSchedulingPriority CPUSchedulingResetOnFork "
        "CPUAffinity NUMAPolicy NUMAMask IOSchedulingClass IOSchedulingPriority ProtectSystem "
        "ProtectHome RuntimeDirectory StateDirectory CacheDirectory LogsDirectory "
        "ConfigurationDirectory RuntimeDirectoryMode StateDirectoryMode CacheDirectoryMode "
        "LogsDirectoryMode ConfigurationDirectoryMode RuntimeDirectoryPreserve "
        "TimeoutCleanSec ReadWritePaths ReadOnlyPaths InaccessiblePaths ExecPaths NoExecPaths "
        "TemporaryFileSystem PrivateTmp PrivateDevices PrivateNetwork NetworkNamespacePath "
        "PrivateIPC IPCNamespacePath PrivateUsers ProtectHostname ProtectClock "
        "ProtectKernelTunables ProtectKernelModules ProtectKernelLogs ProtectControlGroups "
        "RestrictAddressFamilies RestrictFileSystems RestrictNamespaces LockPersonality "
        "MemoryDenyWriteExecute RestrictRealtime RestrictSUIDSGID RemoveIPC PrivateMounts "
        "MountFlags SystemCallFilter SystemCallErrorNumber SystemCallArchitectures "
        "SystemCallLog Environment EnvironmentFile PassEnvironment UnsetEnvironment "
        "StandardInput StandardOutput StandardError StandardInputText StandardInputData "
        "LogLevelMax LogExtraFields LogRateLimitIntervalSec LogRateLimitBurst LogNamespace "
        "SyslogIdentifier SyslogFacility SyslogLevel SyslogLevelPrefix TTYPath TTYReset "
        "TTYVHangup TTYRows TTYColumns TTYVTDisallocate LoadCredential "
        "LoadCredentialEncrypted SetCredential SetCredentialEncrypted UtmpIdentifier UtmpMode "
        # systemd.kill
        "KillMode KillSignal RestartKillSignal SendSIGHUP SendSIGKILL FinalKillSignal "
        "WatchdogSignal "
        # systemd.resource-control
        "CPUAccounting CPUWeight StartupCPUWeight CPUQuota CPUQuotaPeriodSec AllowedCPUs "
        "StartupAllowedCPUs AllowedMemoryNodes StartupAllowedMemoryNodes MemoryAccounting "
        "MemoryMin MemoryLow MemoryHigh MemoryMax MemorySwapMax MemoryZSwapMax TasksAccounting "
        "TasksMax IOAccounting IOWeight StartupIOWeight IODeviceWeight IOReadBandwidthMax "
        "IOWriteBandwidthMax IOReadIOPSMax IOWriteIOPSMax IODeviceLatencyTargetSec "
        "IPAccounting IPAddressAllow IPAddressDeny IPIngressFilterPath IPEgressFilterPath "
        "DeviceAllow DevicePolicy Slice Delegate DisableControllers ManagedOOMSwap "
        "ManagedOOMMemoryPressure ManagedOOMMemoryPressureLimit ManagedOOMPreference"
    ),
    "Timer": _names(
        "OnActiveSec OnBootSec OnStartupSec OnUnitActiveSec OnUnitInactiveSec OnCalendar "
        "AccuracySec RandomizedDelaySec FixedRandomDelay OnClockChange OnTimezoneChange Unit "
        "Persistent WakeSystem RemainAfterElapse"
    ),
    "Socket": _names(
        "ListenStream ListenDatagram ListenSequentialPacket ListenFIFO ListenSpecial "
        "ListenNetlink ListenMessageQueue ListenUSBFunction SocketProtocol BindIPv6Only Backlog "
        "BindToDevice SocketUser SocketGroup DirectoryMode SocketMode Accept Writable "
        "FlushPending MaxConnections MaxConnectionsPerSource KeepAlive KeepAliveTimeSec "
        "KeepAliveIntervalSec KeepAliveProbes NoDelay Priority DeferAcceptSec ReceiveBuffer "
        "SendBuffer IPTOS IPTTL Mark ReusePort SmackLabel SmackLabelIPIn SmackLabelIPOut "
        "SELinuxContextFromNet PipeSize MessageQueueMaxMessages MessageQueueMessageSize "
        "FreeBind Transparent Broadcast PassCredentials PassSecurity PassPacketInfo Timestamping "
        "TCPCongestion ExecStartPre ExecStartPost ExecStopPre ExecStopPost TimeoutSec Service "
        "RemoveOnStop Symlinks FileDescriptorName TriggerLimitIntervalSec TriggerLimitBurst "
        "PollLimitIntervalSec PollLimitBurst"
    ),
    "Install": _names("Alias WantedBy RequiredBy Also DefaultInstance"),
}
_SECTIONS_OF = {
    ".service": {"Unit", "Service", "Install"},
    ".timer": {"Unit", "Timer", "Install"},
    ".socket": {"Unit", "Socket", "Install"},
}
# The release is installed on the server, not here: its executables are checked there.
_NOT_HERE = re.compile(r"Command .* is not executable")
_UNIT = re.compile(r"^Unit (?P<name>\S+) ")
_LOCATED = re.compile(r"^(?P<path>/\S+?):(?P<line>\d+): (?P<message>.*)$")


def check_systemd_units(directory: Path, units: list[Path]) -> list[Finding]:
    """`systemd-analyze verify` on the units together (a timer needs its service beside it)."""
    if not units:
        return []
    findings = _timer_targets(directory, units)
    analyze = find_tool("systemd-analyze")
    if analyze is None:
        findings += [
            Finding(
                "info",
                CHECK,
                "systemd-analyze is not installed (apt-get install systemd): checked section "
                "and key names only",
            )
        ]
        for unit in units:
            findings += check_unit_keys(unit, _rel(directory, unit))
        return findings
    try:
        result = subprocess.run(
            [analyze, "verify", "--man=no", "--generators=no", "--recursive-errors=no",
             *(str(u.resolve()) for u in units)],
            capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        note = "systemd-analyze verify did not answer in 120 s: checked key names only"
        findings.append(Finding("warning", CHECK, note))
        for unit in units:
            findings += check_unit_keys(unit, _rel(directory, unit))
        return findings
    by_name = {u.name: _rel(directory, u) for u in units}
    by_path = {str(u.resolve()): _rel(directory, u) for u in units}
    for line in (result.stdout + result.stderr).splitlines():
        if not line.strip() or _NOT_HERE.search(line):
            continue
        located = _LOCATED.match(line)
        if located and located["path"] in by_path:
            message = f"line {located['line']}: {located['message'].removesuffix(', ignoring.')}"
            findings.append(Finding("error", CHECK, message, by_path[located["path"]]))
            continue
        name, _, rest = line.partition(": ")
        about = _UNIT.match(line)
        if name in by_name:
            findings.append(Finding("error", CHECK, rest, by_name[name]))
        else:
            rel = by_name.get(about["name"], "") if about else ""
            findings.append(Finding("error", CHECK, line, rel))
    return findings


def _timer_targets(directory: Path, units: list[Path]) -> list[Finding]:
    """Each timer starts a service that is among the scaffold's units (verify does not check)."""
    names = {u.name for u in units}
    findings = []
    for timer in (u for u in units if u.suffix == ".timer"):
        started = timer.with_suffix(".service").name
        for line in timer.read_text().splitlines():
            key, equals, value = line.partition("=")
            if equals and key.strip() == "Unit":
                started = value.strip()
        if started not in names:
            message = f"starts {started}, which is not in deploy/systemd/"
            findings.append(Finding("error", CHECK, message, _rel(directory, timer)))
    return findings


def check_unit_keys(path: Path, rel: str) -> list[Finding]:
    """Sections and keys against the names systemd knows; catches typos such as `ExecStrat=`."""
    allowed = _SECTIONS_OF.get(path.suffix, set(UNIT_KEYS))
    findings = []
    section = None
    seen: set[tuple[str, str]] = set()
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            if section not in allowed:
                findings.append(
                    Finding("error", CHECK, f"line {number}: unknown section [{section}]", rel)
                )
            continue
        key, equals, _ = line.partition("=")
        key = key.strip()
        if not equals or section is None:
            findings.append(
                Finding("error", CHECK, f"line {number}: not `Key=value` in a section", rel)
            )
        elif section in allowed and key not in UNIT_KEYS[section]:
            findings.append(
                Finding("error", CHECK, f"line {number}: unknown key '{key}' in [{section}]", rel)
            )
        seen.add((section or "", key))
    if path.suffix == ".service" and ("Service", "ExecStart") not in seen:
        findings.append(Finding("error", CHECK, "the service has no ExecStart=", rel))
    return findings


def _rel(directory: Path, unit: Path) -> str:
    return unit.relative_to(directory).as_posix()
