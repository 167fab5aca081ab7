/** Namespaces and helpers the schema tests share (re-exported from wire.ts). */
import { LCM_NS } from '../../formats/xds/index.ts';
import { QUERY_NS, RS_NS, XDSB_NS } from './wire.ts';

export { AVAILABILITY, buildSoapRequest, DMP_ACTION } from './wire.ts';
export const LOCAL_NAMESPACES = { xdsb: XDSB_NS, query: QUERY_NS, rs: RS_NS, lcm: LCM_NS } as const;
