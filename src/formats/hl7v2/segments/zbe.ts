/**
 * ZBE — movement (PAM FR §6.14): 1 movement id (EI), 2 start, 3 end, 4 action
 * INSERT/CANCEL/UPDATE, 5 historic Y/N, 6 original trigger, 7 UF médicale (XON), 8 UF soins,
 * 9 nature. Lenient with `SGL/sortie.er7`, whose fields from ZBE-4 on are shifted by one
 * (action in ZBE-5): reported as a warning.
 */
import { readEi, readXon, type EI, type XON } from '../datatypes.ts';
import { warning, type Issue } from '../issue.ts';
import type { Segment } from '../segment.ts';

export interface Zbe {
  movementId: EI;
  startDateTime: string;
  endDateTime: string;
  action: string;
  historic: string;
  originalTrigger: string;
  medicalUnit?: XON;
  careUnit?: XON;
  nature: string;
  issues: Issue[];
}

const ACTIONS = new Set(['INSERT', 'CANCEL', 'UPDATE']);

export function readZbe(segment: Segment): Zbe {
  const enc = segment.encoding;
  const issues: Issue[] = [];
  let shift = 0;
  if (!ACTIONS.has(segment.value(4)) && segment.field(4) === '' && ACTIONS.has(segment.value(5))) {
    shift = 1;
    issues.push(warning('ZBE-4', `action found in ZBE-5 ("${segment.value(5)}"): fields from ZBE-4 on read shifted by one`));
  } else if (segment.value(4) !== '' && !ACTIONS.has(segment.value(4))) {
    issues.push(warning('ZBE-4', `action must be INSERT, CANCEL or UPDATE, got "${segment.value(4)}"`));
  }
  const zbe: Zbe = {
    movementId: readEi(segment.field(1), enc),
    startDateTime: segment.value(2),
    endDateTime: segment.value(3),
    action: segment.value(4 + shift),
    historic: segment.value(5 + shift),
    originalTrigger: segment.value(6 + shift),
    nature: segment.value(9 + shift),
    issues,
  };
  const medical = segment.repetitions(7 + shift)[0];
  if (medical !== undefined) zbe.medicalUnit = readXon(medical, enc);
  const care = segment.repetitions(8 + shift)[0];
  if (care !== undefined) zbe.careUnit = readXon(care, enc);
  return zbe;
}
