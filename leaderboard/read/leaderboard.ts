/**
 * @module The site's read models over one store, bound together: each page's model is a function in this folder
 * (task-board, tasks, method-list, method-detail, cell, compare) that gets this object to reach the store and the
 * others (a method page shows its rows of every board); each result is memoised until the store changes, so a
 * harness writing while the site serves is picked up on the next request. Read-only.
 */
import type { Store } from '../../results/store.ts';
import type { Board, CellDetail, Compare, MethodDetail, MethodSummary, TaskSummary } from '../schemas.ts';
import { cellDetail } from './cell.ts';
import { compareRefs } from './compare.ts';
import { StoreMemo } from './memo.ts';
import { methodDetail } from './method-detail.ts';
import { infoOf, methodInfos, type MethodInfo } from './method-info.ts';
import { methodSummaries } from './method-list.ts';
import { defaultDir, taskBoard, tiersOf, type BoardQuery } from './task-board.ts';
import { taskSummaries } from './tasks.ts';

export class Leaderboard {
  private readonly memo: StoreMemo;

  constructor(readonly store: Store) {
    this.memo = new StoreMemo(store);
  }

  /** The methods the store describes, by id. */
  methodInfos(): Map<string, MethodInfo> {
    return this.memo.get('method-infos', () => methodInfos(this.store));
  }

  /** What the store says about a method; its id as title when it says nothing. */
  methodInfo(id: string): MethodInfo {
    return infoOf(this.methodInfos(), id);
  }

  /** Tiers a task has cells in, most thorough first. */
  tiersOf(taskId: string): string[] {
    return tiersOf(this.store, taskId);
  }

  /** One task's board (default: its most thorough tier, ranked); throws NotFound. */
  board(taskId: string, q: BoardQuery = {}): Board {
    const sort = q.sort ?? 'rank';
    const dir = q.dir ?? defaultDir(sort);
    return this.memo.get(`board|${taskId}|${q.tier ?? ''}|${sort}|${dir}`, () =>
      taskBoard(this, taskId, { tier: q.tier, sort, dir }),
    );
  }

  tasks(): TaskSummary[] {
    return this.memo.get('tasks', () => taskSummaries(this));
  }

  methods(): MethodSummary[] {
    return this.memo.get('methods', () => methodSummaries(this));
  }

  /** Throws NotFound. */
  method(id: string): MethodDetail {
    return this.memo.get(`method|${id}`, () => methodDetail(this, id));
  }

  /** Throws NotFound. */
  cell(id: string): CellDetail {
    return this.memo.get(`cell|${id}`, () => cellDetail(this, id));
  }

  /** Throws NotFound for a ref that is neither a cell nor a method. */
  compare(a: string, b: string): Compare {
    return this.memo.get(`compare|${a}|${b}`, () => compareRefs(this, a, b));
  }
}
