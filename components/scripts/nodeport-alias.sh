#!/bin/sh
# kurl-lb: put the GCP load balancer IP on this node as a /32 alias, now and at every boot.
# Why: GCP's guest agent routes the LB IP locally (that is how hairpinning works), so traffic
# for a NodePort reached through the LB is delivered to localhost, where kube-proxy does not
# listen. With the LB IP on the NIC, kube-proxy's rules match it. (kURL: Public Cloud Load
# Balancing, GCP.) Run as root on every node; running it again changes nothing.
#
# components/kurl.py fills in the two placeholders below (the stack output nodePortAliasScript).
# KURL_LB_IFACE and KURL_LB_UNIT_DIR override the detected interface and /etc/systemd/system.
set -eu
LB_IP='@LB_IP@'
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
"$IP_BIN" addr replace "$LB_IP/32" dev "$IFACE"
UNIT_TEXT="[Unit]
Description=kurl-lb: load balancer IP $LB_IP as a /32 alias on $IFACE (kURL NodePorts via GCP LB)
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=$IP_BIN addr replace $LB_IP/32 dev $IFACE

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
echo "kurl-lb: $LB_IP/32 on $IFACE, persisted by $UNIT"
