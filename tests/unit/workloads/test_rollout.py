"""The unit rollout decision: create and remove whole units, recreate broken gangs, roll a
template change one unit at a time without dropping a role below its minimum ready units."""

from __future__ import annotations

from tokenfleet.workloads import rollout

OLD, NEW = "old", "new"


def unit(i: int, h: str = NEW, ready: bool = True, failed: bool = False) -> rollout.ObservedUnit:
    return rollout.ObservedUnit(
        index=i,
        exists=True,
        outdated=h == OLD,
        pods_ready=4 if ready else 1,
        nodes=4,
        failed=failed,
    )


def test_missing_units_are_created_and_nothing_is_live_yet() -> None:
    plan = rollout.plan_role(desired=2, min_units=1, observed=[])
    assert plan.apply == (0, 1) and plan.recreate == () and plan.remove == ()
    assert plan.live == () and plan.target_units == 2
    assert plan.reason == "create unit 0; create unit 1"


def test_a_steady_role_does_nothing() -> None:
    plan = rollout.plan_role(2, 1, [unit(0), unit(1)])
    assert (plan.apply, plan.recreate, plan.remove, plan.live) == ((), (), (), (0, 1))
    assert plan.reason == "steady"


def test_scale_down_removes_the_highest_units_and_takes_them_out_of_the_router() -> None:
    plan = rollout.plan_role(1, 1, [unit(0), unit(1), unit(2)])
    assert plan.remove == (2, 1)
    assert plan.live == (0,)


def test_a_failed_unit_is_recreated_whole_and_leaves_the_router() -> None:
    plan = rollout.plan_role(2, 1, [unit(0), unit(1, ready=False, failed=True)])
    assert plan.recreate == (1,) and plan.apply == ()
    assert plan.live == (0,)
    assert "recreate unit 1" in plan.reason


def test_a_template_change_rolls_one_unit_at_a_time() -> None:
    # Step 1: three ready units on the old template, min 1: roll unit 0 first.
    plan = rollout.plan_role(3, 1, [unit(0, OLD), unit(1, OLD), unit(2, OLD)])
    assert plan.apply == (0,) and plan.recreate == (0,) and plan.live == (1, 2)
    # Step 2: unit 0 is coming up on the new template: wait, roll nothing else.
    plan = rollout.plan_role(3, 1, [unit(0, NEW, ready=False), unit(1, OLD), unit(2, OLD)])
    assert plan.apply == () and plan.recreate == ()
    assert "waiting for unit(s) 0" in plan.reason
    # Step 3: unit 0 ready: roll unit 1.
    plan = rollout.plan_role(3, 1, [unit(0), unit(1, OLD), unit(2, OLD)])
    assert plan.recreate == (1,) and plan.live == (0, 2)
    # Step 4: the last one.
    plan = rollout.plan_role(3, 1, [unit(0), unit(1), unit(2, OLD)])
    assert plan.recreate == (2,)
    # Step 5: done.
    assert rollout.plan_role(3, 1, [unit(0), unit(1), unit(2)]).reason == "steady"


def test_a_roll_at_the_minimum_surges_one_unit_first() -> None:
    # Step 1: one unit, min 1: rolling it would leave none ready, so start a surge unit.
    plan = rollout.plan_role(1, 1, [unit(0, OLD)])
    assert plan.apply == (1,) and plan.recreate == () and plan.target_units == 2
    assert plan.live == (0,)
    assert "waiting for unit(s) 1" in plan.reason
    # Step 2: the surge unit is up: now unit 0 can roll; both stay.
    plan = rollout.plan_role(1, 1, [unit(0, OLD), unit(1)])
    assert plan.recreate == (0,) and plan.remove == () and plan.live == (1,)


def test_the_surge_stays_until_the_rolled_unit_is_ready() -> None:
    plan = rollout.plan_role(1, 1, [unit(0, NEW, ready=False), unit(1)])
    assert plan.remove == ()
    assert plan.live == (1,)
    plan = rollout.plan_role(1, 1, [unit(0), unit(1)])
    assert plan.remove == (1,) and plan.live == (0,)


def test_min_zero_rolls_without_surge() -> None:
    plan = rollout.plan_role(1, 0, [unit(0, OLD)])
    assert plan.recreate == (0,) and plan.target_units == 1


def test_a_unit_left_over_from_a_scale_down_does_not_hold_nodes_a_lower_one_waits_for() -> None:
    # Down from 3 to 2 while unit 1 waits for room (a gang on a full pool): unit 2 goes, so
    # its nodes can take unit 1; unit 0 alone keeps the minimum of 1.
    plan = rollout.plan_role(2, 1, [unit(0), unit(1, ready=False), unit(2)])
    assert plan.remove == (2,) and plan.target_units == 2
    assert plan.live == (0,)
    # With a minimum of 2 the ready unit 2 is what keeps it: it stays, and serves.
    plan = rollout.plan_role(2, 2, [unit(0), unit(1, ready=False), unit(2)])
    assert plan.remove == () and plan.live == (0, 2)


def test_the_surge_goes_once_the_units_below_it_keep_the_minimum() -> None:
    # Three units rolled, min 1: the last rolled one still starting does not hold the surge.
    plan = rollout.plan_role(3, 1, [unit(0), unit(1), unit(2, ready=False), unit(3)])
    assert plan.remove == (3,)
