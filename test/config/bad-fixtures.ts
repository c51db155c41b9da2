/**
 * The malformed config files under fixtures/bad/ and what their report must say. Shared by the message
 * test (every substring present) and the JSON Schema test (the editor schema agrees with zod).
 */

export interface BadFixture {
  file: string;
  /** Which stage rejects it. */
  stage: 'yaml' | 'schema' | 'semantic';
  /** Exact number of errors: one mistake, one message (no cascades). */
  errors: number;
  /** `file:line:` of the (first) error; null when it concerns the whole file. */
  line: number | null;
  /** The field path as written in YAML, shown as `error: <path>:`; '' for file-level errors. */
  path: string;
  /** Further substrings the report must contain: the value found, what to write instead. */
  says: string[];
  /** The JSON Schema also rejects it (default: stage === 'schema'). */
  jsonSchemaRejects?: boolean;
}

export const BAD_FIXTURES: BadFixture[] = [
  // YAML syntax: position, what the parser saw, and what to do.
  { file: 'yaml-bad-indent.yaml', stage: 'yaml', errors: 2, line: 8, path: '', says: ['YAML syntax error', 'same column', 'indent with spaces'] },
  { file: 'yaml-tab-indent.yaml', stage: 'yaml', errors: 1, line: 16, path: '', says: ['Tabs are not allowed', 'replace them with spaces'] },
  { file: 'yaml-duplicate-key.yaml', stage: 'yaml', errors: 1, line: 17, path: '', says: ['Map keys must be unique', '|   user: ops', 'remove or merge'] },
  { file: 'yaml-unclosed-flow.yaml', stage: 'yaml', errors: 1, line: 8, path: '', says: ['end with a }', 'close every {'] },
  { file: 'yaml-unclosed-quote.yaml', stage: 'yaml', errors: 1, line: 9, path: '', says: ['double quote opened here is never closed', 'host: "k8s-api.example.com'] },
  { file: 'yaml-multiple-docs.yaml', stage: 'yaml', errors: 1, line: 18, path: '', says: ['multiple documents', 'remove the `---` separator'] },
  { file: 'yaml-missing-colon-space.yaml', stage: 'yaml', errors: 1, line: 16, path: '', says: ['user:root', 'colon and space'] },
  { file: 'empty.yaml', stage: 'yaml', errors: 1, line: null, path: '', says: ['the file is empty', 'schema` prints every field'] },
  { file: 'not-a-mapping.yaml', stage: 'yaml', errors: 1, line: 2, path: '', says: ['expected a mapping of keys', 'found a list'] },

  // Schema: the field path, the line, the value found, what to write.
  { file: 'unknown-key-typo-top.yaml', stage: 'schema', errors: 1, line: 8, path: 'endpiont', says: ['unknown key `endpiont`', 'did you mean `endpoint`?'] },
  { file: 'unknown-key-identity.yaml', stage: 'schema', errors: 1, line: 17, path: 'ssh.identityFile', says: ['did you mean `identityFiles`?'] },
  { file: 'unknown-key-misplaced.yaml', stage: 'schema', errors: 1, line: 18, path: 'user', says: ['unknown key `user`', '`user` belongs under `ssh`'] },
  { file: 'unknown-key-node-ssh.yaml', stage: 'schema', errors: 1, line: 6, path: 'controlPlane.promote[0].ssh.hostname', says: ['allowed in controlPlane.promote[0].ssh are: host, port, user'] },
  { file: 'bad-ipv4-octet.yaml', stage: 'schema', errors: 1, line: 7, path: 'controlPlane.promote[1].address', says: ['expected an IPv4 or IPv6 address', 'found: 10.0.0.300', 'between 0 and 255', 'such as 10.0.0.12'] },
  { file: 'bad-ipv4-leading-zero.yaml', stage: 'schema', errors: 1, line: 6, path: 'controlPlane.promote[0].address', says: ['found: 010.0.0.12', 'without leading zeros: 10.0.0.12'] },
  { file: 'bad-address-with-port.yaml', stage: 'schema', errors: 1, line: 6, path: 'controlPlane.promote[0].address', says: ['found: 10.0.0.12:22', 'the port goes in ssh.port'] },
  { file: 'bad-endpoint-url.yaml', stage: 'schema', errors: 1, line: 8, path: 'endpoint.host', says: ['found: "https://k8s-api.example.com:6443"', 'without a scheme', 'endpoint.port'] },
  { file: 'bad-ipv6.yaml', stage: 'schema', errors: 1, line: 7, path: 'controlPlane.promote[1].address', says: ['found: "fd00::1::13"', '`::` at most once'] },
  { file: 'bad-cluster-name.yaml', stage: 'schema', errors: 1, line: 2, path: 'name', says: ['found: Prod_EU1', 'name: prod-eu1'] },
  { file: 'bad-node-name-path.yaml', stage: 'schema', errors: 1, line: 7, path: 'controlPlane.promote[1].name', says: ['found: ../cp3', 'RFC 1123', 'file paths and commands'] },
  { file: 'bad-node-name-shell.yaml', stage: 'schema', errors: 1, line: 6, path: 'controlPlane.promote[0].name', says: ['found: "cp2; rm -rf /"', 'shell characters'] },
  { file: 'bad-node-name-upper.yaml', stage: 'schema', errors: 1, line: 6, path: 'controlPlane.promote[0].name', says: ['found: CP2', 'lowercase: write cp2'] },
  { file: 'missing-address.yaml', stage: 'schema', errors: 1, line: 7, path: 'controlPlane.promote[1].address', says: ['missing required key `address` in controlPlane.promote[1]', 'add `address:`'] },
  { file: 'missing-existing.yaml', stage: 'schema', errors: 1, line: 3, path: 'controlPlane.existing', says: ['missing required key `existing`', 'kubeadm init'] },
  { file: 'missing-name.yaml', stage: 'schema', errors: 1, line: null, path: 'name', says: ['missing required key `name`', 'add `name:`'] },
  { file: 'bad-proxy-kind.yaml', stage: 'schema', errors: 1, line: 10, path: 'proxy.kind', says: ['found: traefik', 'expected one of `nginx`, `haproxy`'] },
  { file: 'bad-proxy-kind-typo.yaml', stage: 'schema', errors: 1, line: 10, path: 'proxy.kind', says: ['found: ngnix', 'did you mean `nginx`?'] },
  { file: 'bad-placement.yaml', stage: 'schema', errors: 1, line: 11, path: 'proxy.placement', says: ['found: perNode', 'did you mean `per-node`?'] },
  { file: 'bad-sudo-password-command.yaml', stage: 'schema', errors: 1, line: 17, path: 'ssh.sudoPasswordCommand', says: ['expected a command as a list of words, such as [pass, show, ops/sudo]'] },
  { file: 'bad-repoint-item.yaml', stage: 'schema', errors: 1, line: 15, path: 'repoint[1]', says: ['found: flannel', 'expected cilium, calico, or a workload as Kind/namespace/name such as DaemonSet/monitoring/node-agent'] },
  { file: 'bad-carry-over-relative.yaml', stage: 'schema', errors: 1, line: 16, path: 'carryOver.allowPaths[0]', says: ['expected an absolute directory on the nodes, such as /etc/kubernetes-extra'] },
  { file: 'bad-sudo.yaml', stage: 'schema', errors: 1, line: 17, path: 'ssh.sudo', says: ['found: yes', 'write one of: auto, none, nopasswd, password'] },
  { file: 'bad-boolean-yes.yaml', stage: 'schema', errors: 1, line: 17, path: 'ssh.acceptNewHostKeys', says: ['expected true or false', 'found: yes', 'YAML 1.2'] },
  { file: 'bad-port-quoted.yaml', stage: 'schema', errors: 1, line: 17, path: 'ssh.port', says: ['found: "22"', 'without quotes: 22'] },
  { file: 'bad-port-range.yaml', stage: 'schema', errors: 1, line: 8, path: 'endpoint.port', says: ['found: 70000', 'at most 65535'] },
  { file: 'bad-worker-batch-size.yaml', stage: 'schema', errors: 1, line: 15, path: 'workerBatchSize', says: ['found: 0', 'at least 1 worker'] },
  { file: 'bad-timeout-fraction.yaml', stage: 'schema', errors: 1, line: 17, path: 'ssh.connectTimeoutSeconds', says: ['found: 2.5', 'whole number of seconds'] },
  { file: 'bad-promote-not-list.yaml', stage: 'schema', errors: 1, line: 5, path: 'controlPlane.promote', says: ['expected a list of nodes', 'found: a mapping', '`- `'] },
  { file: 'bad-identity-not-list.yaml', stage: 'schema', errors: 1, line: 17, path: 'ssh.identityFiles', says: ['found: ~/.ssh/id_ed25519', 'such as [~/.ssh/id_ed25519]'] },
  { file: 'bad-proxy-jump.yaml', stage: 'schema', errors: 1, line: 17, path: 'ssh.proxyJump', says: ['found: ops@bastion.example.com:ssh', 'user@host[:port]'] },
  { file: 'bad-config-file-true.yaml', stage: 'schema', errors: 1, line: 17, path: 'ssh.configFile', says: ['found: true', 'or false to ignore it'] },
  { file: 'bad-ssh-user.yaml', stage: 'schema', errors: 1, line: 16, path: 'ssh.user', says: ['found: "root;id"', 'expected a login name'] },
  { file: 'verify-drill-number.yaml', stage: 'schema', errors: 1, line: 16, path: 'verify.failoverDrill', says: ['found: 3', 'expected true, false, or the name of a control-plane node'] },
  { file: 'empty-value.yaml', stage: 'schema', errors: 1, line: 7, path: 'controlPlane.promote[0].address', says: ['found: nothing (the value is empty)', 'expected an IPv4 or IPv6 address'] },

  // Semantic: rules between fields, pointing at both places where relevant.
  { file: 'dup-node-name.yaml', stage: 'semantic', errors: 1, line: 7, path: 'controlPlane.promote[1].name', says: ['node name `cp2` appears twice', 'see controlPlane.promote[0].name, line 6'] },
  { file: 'dup-address.yaml', stage: 'semantic', errors: 1, line: 7, path: 'controlPlane.promote[1].address', says: ['also the address of `cp2`', 'line 6', 'list each machine once'] },
  { file: 'dup-worker-promoted.yaml', stage: 'semantic', errors: 1, line: 15, path: 'workers[1].name', says: ['`cp3` appears twice', 'remove it from workers'] },
  { file: 'existing-promoted.yaml', stage: 'semantic', errors: 1, line: 8, path: 'controlPlane.promote[2].name', says: ['`cp1` appears twice', 'already a control-plane node'] },
  { file: 'endpoint-is-node.yaml', stage: 'semantic', errors: 1, line: 8, path: 'endpoint.host', says: ['address of node `cp1`', 'go down with that node', "use the proxy host's address (10.0.0.5)"] },
  { file: 'endpoint-is-node-name.yaml', stage: 'semantic', errors: 1, line: 8, path: 'endpoint.host', says: ['name of node `cp2`', 'line 6'] },
  { file: 'proxy-on-control-plane.yaml', stage: 'semantic', errors: 1, line: 12, path: 'proxy.host.address', says: ['control-plane node `cp2`', 'machine of its own'] },
  { file: 'too-few-control-plane.yaml', stage: 'semantic', errors: 1, line: 5, path: 'controlPlane.promote', says: ['2 control-plane nodes in total', 'at least 3', 'list 1 more node'] },
  { file: 'no-promote.yaml', stage: 'semantic', errors: 1, line: 5, path: 'controlPlane.promote', says: ['1 control-plane node in total', 'list 2 more nodes'] },
  { file: 'dedicated-without-host.yaml', stage: 'semantic', errors: 1, line: 9, path: 'proxy.host', says: ['`host` is missing', 'placement: per-node'], jsonSchemaRejects: true },
  { file: 'per-node-with-host.yaml', stage: 'semantic', errors: 1, line: 12, path: 'proxy.host', says: ['no proxy host', 'remove proxy.host'], jsonSchemaRejects: true },
  { file: 'missing-identity-file.yaml', stage: 'semantic', errors: 1, line: 19, path: 'ssh.identityFiles[1]', says: ['identity file not found: ./no-such-key', 'fixtures/bad/no-such-key', 'ssh-add'] },
  { file: 'identity-file-other-user.yaml', stage: 'semantic', errors: 1, line: 17, path: 'ssh.identityFiles[0]', says: ['not `~user`', 'write the full path'] },
  { file: 'sudo-none-not-root.yaml', stage: 'semantic', errors: 1, line: 17, path: 'ssh.sudo', says: ['ssh.user is `ops`', 'sudo: auto'] },
  { file: 'verify-drill-worker.yaml', stage: 'semantic', errors: 1, line: 16, path: 'verify.failoverDrill', says: ['`w1` is not a control-plane node', 'name one of cp1, cp2, cp3, or write true'] },
  { file: 'endpoint-loopback-dedicated.yaml', stage: 'semantic', errors: 1, line: 8, path: 'endpoint.host', says: ['loopback address', 'cannot reach a dedicated proxy'] },
];

/** Valid files and the warnings each must produce (none for good/). */
export const WARN_FIXTURES: Array<{ file: string; warnings: Array<{ line: number; path: string; says: string }> }> = [
  { file: 'even-control-plane.yaml', warnings: [{ line: 5, path: 'controlPlane.promote', says: 'an even count gains nothing' }] },
  { file: 'lab-per-node-loopback.yaml', warnings: [{ line: 13, path: 'endpoint.host', says: 'loopback address' }] },
  {
    file: 'endpoint-not-proxy.yaml',
    warnings: [
      { line: 9, path: 'endpoint.host', says: "not the proxy host's address (10.0.0.5)" },
      { line: 11, path: 'workers', says: 'empty list' },
      { line: 13, path: 'ssh.knownHosts', says: 'known_hosts file not found' },
      { line: 14, path: 'ssh.sudo', says: 'never used' },
    ],
  },
];
