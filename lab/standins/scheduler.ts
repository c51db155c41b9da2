/** kube-scheduler stand-in: connects with its kubeconfig, serves /healthz on 10259, holds its Lease. (DaemonSet pods come with their node already set, so there is nothing to schedule in the lab.) */
import { runComponent } from './component.js';

await runComponent({ name: 'kube-scheduler', port: 10259 });
