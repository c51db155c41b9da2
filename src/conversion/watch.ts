/**
 * Discovery, watched: the same deps, with every read reported as it starts (which host, what it reads: a file, a
 * command, an object through the API), so the wizard can say what discovery is doing instead of a bare spinner.
 * Reads only pass through; nothing here changes what they do.
 */
import type { EngineDeps, Hosts, KubeApi, KubeApiFactory } from '../engine/model/ports.js';
import type { RemoteHost } from '../engine/model/remote-host.js';

/** A command in a few words: the program and its verb (`etcdctl member list`, `kubectl get nodes`), never its flags' values. */
export function commandWords(argv: readonly string[]): string {
  const words = argv.filter((a) => !a.startsWith('-') && !a.includes('=') && !a.includes('\n'));
  const start = words[0] === 'env' || words[0] === 'sudo' ? 1 : 0;
  const prog = (words[start] ?? argv[0] ?? '').split('/').at(-1) ?? '';
  return [prog, ...words.slice(start + 1, start + 3)].join(' ').trim() || 'a command';
}

function watchedHost(h: RemoteHost, say: (what: string) => void): RemoteHost {
  return {
    name: h.name,
    address: h.address,
    exec: (argv, opts) => {
      say(`running ${commandWords(argv)}`);
      return h.exec(argv, opts);
    },
    readFile: (path) => {
      say(`reading ${path}`);
      return h.readFile(path);
    },
    stat: (path) => {
      say(`looking at ${path}`);
      return h.stat(path);
    },
    sha256: (path) => {
      say(`hashing ${path}`);
      return h.sha256(path);
    },
    writeFileAtomic: (path, data, opts) => h.writeFileAtomic(path, data, opts),
    forwardOut: (host, port) => h.forwardOut(host, port),
    close: () => h.close(),
  };
}

function watchedApi(api: KubeApi, host: string, reading: (host: string, what: string) => void): KubeApi {
  return {
    get: (ref) => {
      reading(host, `reading ${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name} from the API`);
      return api.get(ref);
    },
    replace: (ref, obj) => api.replace(ref, obj),
    list: (apiVersion, kind, namespace, selector) => {
      reading(host, `listing ${kind}s${namespace ? ` in ${namespace}` : ''} from the API`);
      return api.list(apiVersion, kind, namespace, selector);
    },
  };
}

export function watchedDeps(deps: EngineDeps, reading: (host: string, what: string) => void): EngineDeps {
  // One wrapper per host, and the real host given to the API factory: it keys its tunnels by the connection.
  const wrapped = new Map<string, Promise<RemoteHost>>();
  const real = new WeakMap<RemoteHost, RemoteHost>();
  const hosts: Hosts = {
    get: (name) => {
      let w = wrapped.get(name);
      if (!w) {
        w = deps.hosts.get(name).then((h) => {
          const x = watchedHost(h, (what) => reading(name, what));
          real.set(x, h);
          return x;
        });
        wrapped.set(name, w);
        w.catch(() => wrapped.delete(name));
      }
      return w;
    },
  };
  const kube: KubeApiFactory = { forHost: async (h) => watchedApi(await deps.kube.forHost(real.get(h) ?? h), h.name, reading) };
  return { ...deps, hosts, kube };
}
