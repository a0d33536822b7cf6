import { SESSION_STATES, type SessionStatus } from '../athena/port.js';
import { builder } from './builder.js';
// The status fields use DateTime: its definition comes first in the schema, whoever imports this module first.
import './scalars.js';

const STATE_DESCRIPTIONS: Record<(typeof SESSION_STATES)[number], string> = {
  CREATING: 'The session is being started, including acquiring resources.',
  CREATED: 'The session has been started.',
  IDLE: 'The session is able to accept a calculation.',
  BUSY: 'The session is processing another task and is unable to accept a calculation.',
  TERMINATING: 'The session is in the process of shutting down.',
  TERMINATED: 'The session and its resources are no longer running.',
  DEGRADED: 'The session has no healthy coordinators.',
  FAILED: 'Due to a failure, the session and its resources are no longer running.',
};

export const SessionStateEnum = builder.enumType('SessionState', {
  description: 'The state of an Athena Spark session.',
  values: Object.fromEntries(
    SESSION_STATES.map((state) => [state, { value: state, description: STATE_DESCRIPTIONS[state] }]),
  ) as Record<(typeof SESSION_STATES)[number], { value: (typeof SESSION_STATES)[number]; description: string }>,
});

export const SessionStatusObject = builder.objectRef<SessionStatus>('SessionStatus').implement({
  description: 'Where a session is in its lifecycle, and since when.',
  fields: (t) => ({
    state: t.field({ type: SessionStateEnum, nullable: false, resolve: (status) => status.state }),
    stateChangeReason: t.exposeString('stateChangeReason', {
      description:
        'The reason for the session state change (for example, canceled because the session was terminated).',
    }),
    startDateTime: t.expose('startDateTime', {
      type: 'DateTime',
      description: 'The date and time that the session started.',
    }),
    lastModifiedDateTime: t.expose('lastModifiedDateTime', {
      type: 'DateTime',
      description: 'The most recent date and time that the session was modified.',
    }),
    endDateTime: t.expose('endDateTime', {
      type: 'DateTime',
      description: 'The date and time that the session ended.',
    }),
    idleSinceDateTime: t.expose('idleSinceDateTime', {
      type: 'DateTime',
      description: 'The date and time starting at which the session became idle. Null while the session is not idle.',
    }),
  }),
});
