/** Waiting batches are taken in time-bounded slices: cheap ones together, costly ones a turn apart. */
import { describe, expect, it } from 'vitest';
import { BatchSlices, SLICE_MS, type SliceScheduler } from '../../server/sources/batch-slices.js';

/** A clock that moves only when a batch costs time, and turns of the event loop run one at a time by the test. */
function manualLoop(): SliceScheduler & { clock: number; turns: Array<() => void>; runTurn(): void } {
  const loop = {
    clock: 0,
    turns: [] as Array<() => void>,
    now: () => loop.clock,
    nextTurn: (run: () => void) => { loop.turns.push(run); },
    runTurn: () => loop.turns.shift()!(),
  };
  return loop;
}

describe('batch slices', () => {
  it('takes every waiting batch in one turn when they are cheap', () => {
    const loop = manualLoop();
    const taken: number[] = [];
    let empties = 0;
    const slices = new BatchSlices<number>((b) => { taken.push(b); loop.clock += 0.1; }, () => empties++, loop);
    for (let i = 0; i < 40; i++) slices.push(i);
    expect(loop.turns).toHaveLength(1);
    loop.runTurn();
    expect(taken).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(loop.turns).toHaveLength(0);
    expect(empties).toBe(1);
  });

  it('yields a turn once a slice has used its time, and goes on in the next', () => {
    const loop = manualLoop();
    const perTurn: number[] = [];
    let inTurn = 0;
    const COST = 3;
    const slices = new BatchSlices<number>(() => { inTurn++; loop.clock += COST; }, () => undefined, loop);
    for (let i = 0; i < 10; i++) slices.push(i);
    while (loop.turns.length > 0) {
      inTurn = 0;
      loop.runTurn();
      perTurn.push(inTurn);
    }
    // A slice takes batches while its time lasts: ceil(8 / 3) = 3 of them, then yields.
    expect(perTurn).toEqual([3, 3, 3, 1]);
    expect(Math.ceil(SLICE_MS / COST)).toBe(3);
  });

  it('takes a batch costlier than a slice on its own, and never loses one pushed while a slice runs', () => {
    const loop = manualLoop();
    const taken: number[] = [];
    const slices = new BatchSlices<number>((b) => {
      taken.push(b);
      loop.clock += 20;
      if (b === 0) slices.push(99);
    }, () => undefined, loop);
    slices.push(0);
    slices.push(1);
    loop.runTurn();
    expect(taken).toEqual([0]);
    expect(slices.length).toBe(2);
    loop.runTurn();
    loop.runTurn();
    expect(taken).toEqual([0, 1, 99]);
    expect(loop.turns).toHaveLength(0);
  });

  it('schedules no empty turn for a batch pushed while the last one is taken', () => {
    const loop = manualLoop();
    const taken: number[] = [];
    const slices = new BatchSlices<number>((b) => { taken.push(b); if (b === 0) slices.push(1); }, () => undefined, loop);
    slices.push(0);
    loop.runTurn();
    expect(taken).toEqual([0, 1]);
    expect(loop.turns).toHaveLength(0);
  });
});
