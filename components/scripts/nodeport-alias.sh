#!/bin/sh
# kurl-lb: put the GCP load balancer IP on this node as a /32 alias, now and at every boot.
# Why: GCP's guest agent routes the LB IP locally (that is how hairpinning works), so traffic
# for a NodePort reached through the LB is delivered to localhost, where kube-proxy does not
# listen. With the LB IP on the NIC, kube-proxy's rules match it. (kURL: Public Cloud Load
# Balancing, GCP.) Run as root on every node; running it again changes nothing.
#
# OTHER_IPS holds the other front ends' IPs (an address move's, the public front end's): all are
# aliased, so NodePorts work through each. An IP an earlier run aliased that is no longer listed
# (the old front end, once a move is done) is removed: it may later belong to someone else's
# load balancer.
#
# components/kurl.py fills in the placeholders below (the stack output nodePortAliasScript).
# KURL_LB_IFACE and KURL_LB_UNIT_DIR override the detected interface and /etc/systemd/system.
set -eu
LB_IP='@LB_IP@'
OTHER_IPS='@OTHER_IPS@'
UNIT_NAME='@UNIT@'
UNIT_DIR="${KURL_LB_UNIT_DIR:-/etc/systemd/system}"
UNIT="$UNIT_DIR/$UNIT_NAME"
DEFAULT_DEV="$(ip -4 route show default | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n 1)"
IFACE="${KURL_LB_IFACE:-$DEFAULT_DEV}"
if [ -z "$IFACE" ]; then
  echo "kurl-lb: no default-route interface found; set KURL_LB_IFACE" >&2
  exit 1
fi
IP_BIN="$(command -v ip)"
ALL_IPS="$LB_IP${OTHER_IPS:+ $OTHER_IPS}"
# Aliases of an earlier run (the unit's ExecStart lines) that are no longer listed.
if [ -f "$UNIT" ]; then
  sed -n 's|^ExecStart=.* addr replace \([0-9.]*\)/32 dev \([^ ]*\)$|\1 \2|p' "$UNIT" |
    while read -r OLD_IP OLD_DEV; do
      case " $ALL_IPS " in
        *" $OLD_IP "*) ;;
        *) "$IP_BIN" addr del "$OLD_IP/32" dev "$OLD_DEV" 2>/dev/null || true ;;
      esac
    done
fi
"$IP_BIN" addr replace "$LB_IP/32" dev "$IFACE"
EXEC="ExecStart=$IP_BIN addr replace $LB_IP/32 dev $IFACE"
for OTHER_IP in $OTHER_IPS; do
  "$IP_BIN" addr replace "$OTHER_IP/32" dev "$IFACE"
  EXEC="$EXEC
ExecStart=$IP_BIN addr replace $OTHER_IP/32 dev $IFACE"
done
UNIT_TEXT="[Unit]
Description=kurl-lb: load balancer IPs $ALL_IPS as /32 aliases on $IFACE (kURL NodePorts via GCP LB)
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
$EXEC

[Install]
WantedBy=multi-user.target"
mkdir -p "$UNIT_DIR"
if [ ! -f "$UNIT" ] || [ "$(cat "$UNIT")" != "$UNIT_TEXT" ]; then
  printf '%s\n' "$UNIT_TEXT" > "$UNIT"
  if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
fi
if [ -d /run/systemd/system ] && ! systemctl is-enabled --quiet "$UNIT_NAME" 2>/dev/null; then
  systemctl enable "$UNIT_NAME"
fi
for IP in $ALL_IPS; do
  echo "kurl-lb: $IP/32 on $IFACE, persisted by $UNIT"
done
