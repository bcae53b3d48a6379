#!/bin/sh
cat > /etc/consul-vm-agent/agent.yaml <<'EOF'
consul:
  role: server
  datacenter: dc1
EOF
