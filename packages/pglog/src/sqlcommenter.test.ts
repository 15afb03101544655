import { describe, expect, it } from 'vitest';
import { parseSqlCommenterPairs, sqlTraceLink } from './sqlcommenter.ts';

const TP = '00-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-01';

describe('sqlcommenter', () => {
  it("reads the pairs, URL-decoding keys and values and unescaping \\'", () => {
    expect(
      parseSqlCommenterPairs(
        `action='%2Fparam*d',controller='index',framework='spring',traceparent='${TP}',tracestate='congo%3Dt61rcWkgMzE%2Crojo%3D00f067aa0ba902b7',x='it\\'s'`,
      ),
    ).toEqual(
      new Map([
        ['action', '/param*d'],
        ['controller', 'index'],
        ['framework', 'spring'],
        ['traceparent', TP],
        ['tracestate', 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7'],
        ['x', "it's"],
      ]),
    );
    expect(parseSqlCommenterPairs(' just a comment ')).toBeNull();
    expect(parseSqlCommenterPairs("a='%E0%A4%A'")).toBeNull();
  });

  it('links a statement to the trace and span of its traceparent, wherever the comment is', () => {
    const link = { traceId: '5bd66ef5095369c7b0d1f8f4bd33716a', spanId: 'c532cb4098ac3dd2', flags: 1 };
    expect(sqlTraceLink(`SELECT 1 /*traceparent='${TP}'*/`)).toEqual(link);
    expect(sqlTraceLink(`/*db_driver='pg',traceparent='${encodeURIComponent(TP)}'*/ SELECT 1`)).toEqual(link);
    expect(sqlTraceLink(`SELECT /* plain */ 1 /*traceparent='${TP.toUpperCase()}'*/`)).toEqual(link);
  });

  it('ignores invalid trace contexts and comments inside strings', () => {
    expect(sqlTraceLink(`SELECT '/*traceparent=''${TP}''*/'`)).toBeNull();
    expect(
      sqlTraceLink(`SELECT 1 /*traceparent='00-00000000000000000000000000000000-c532cb4098ac3dd2-01'*/`),
    ).toBeNull();
    expect(
      sqlTraceLink(`SELECT 1 /*traceparent='ff-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-01'*/`),
    ).toBeNull();
    expect(
      sqlTraceLink(`SELECT 1 /*traceparent='00-5bd66ef5095369c7b0d1f8f4bd33716a-0000000000000000-01'*/`),
    ).toBeNull();
    expect(sqlTraceLink('SELECT 1')).toBeNull();
  });
});
