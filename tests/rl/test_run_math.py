"""Advantages and losses against numbers worked out by hand (the arithmetic is in comments)."""

import math

import pytest
import torch

from mmreward.rl import advantages as adv
from mmreward.rl import losses


def close(actual: torch.Tensor, expected: list) -> None:
    assert torch.allclose(actual.float(), torch.tensor(expected), atol=1e-5), actual


REWARDS = torch.tensor([[1.0, 0.0, 0.0, 1.0], [1.0, 1.0, 1.0, 1.0]])


def test_grpo_divides_by_the_group_std():
    # group 0: mean 0.5, unbiased std sqrt(4 * 0.25 / 3) = 0.57735 -> +-0.5 / 0.57735 = +-0.86603
    # group 1: all equal -> 0, not NaN
    a = 0.5 / math.sqrt(1 / 3)
    close(adv.group_advantages(REWARDS, "group"), [[a, -a, -a, a], [0, 0, 0, 0]])


def test_dr_grpo_keeps_the_raw_difference():
    close(adv.group_advantages(REWARDS, "none"), [[0.5, -0.5, -0.5, 0.5], [0, 0, 0, 0]])


def test_batch_scaling_uses_one_std():
    # all 8 rewards: mean 0.75, unbiased var (6 * 0.0625 + 2 * 0.5625) / 7 = 1.5 / 7
    a = 0.5 / math.sqrt(1.5 / 7)
    close(adv.group_advantages(REWARDS, "batch"), [[a, -a, -a, a], [0, 0, 0, 0]])


REW = torch.tensor([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
VAL = torch.tensor([[0.5, 0.6, 0.8], [0.5, 0.7, 9.0]])  # 9.0 sits on padding: must be ignored
MASK = torch.tensor([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]])


def test_gae_by_hand():
    # row 0, gamma 1, lam 0.5: deltas 0.1, 0.2, 0.2 -> A2 = 0.2, A1 = 0.2 + 0.5 * 0.2 = 0.3,
    # A0 = 0.1 + 0.5 * 0.3 = 0.25. row 1: A1 = 1 - 0.7 = 0.3, A0 = 0.2 + 0.5 * 0.3 = 0.35
    close(adv.gae(REW, VAL, MASK, 1.0, 0.5), [[0.25, 0.3, 0.2], [0.35, 0.3, 0.0]])


def test_gae_discount():
    # gamma 0.5, lam 1, row 0: A2 = 0.2, A1 = (0.5 * 0.8 - 0.6) + 0.5 * 0.2 = -0.1,
    # A0 = (0.5 * 0.6 - 0.5) + 0.5 * -0.1 = -0.25
    close(adv.gae(REW[:1], VAL[:1], MASK[:1], 0.5, 1.0), [[-0.25, -0.1, 0.2]])


def test_decoupled_gae_critic_lambda_one_gives_monte_carlo_returns():
    advantages, returns = adv.decoupled_gae(REW, VAL, MASK, 1.0, 0.5, 1.0)
    close(advantages, [[0.25, 0.3, 0.2], [0.35, 0.3, 0.0]])
    # lam 1: return = reward-to-go = 1 at every real token; 0 on padding
    close(returns, [[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]])


def test_token_rewards_put_the_outcome_on_the_last_real_token():
    dense = torch.tensor([[0.1, 0.0, 0.0], [0.0, 0.0, 0.7]])  # 0.7 is on padding: dropped
    close(
        adv.token_rewards(torch.tensor([1.0, 0.5]), MASK, dense),
        [[0.1, 0.0, 1.0], [0.0, 0.5, 0.0]],
    )


def test_whiten_over_real_tokens_only():
    # 1, 2, 3: mean 2, population var 2/3 -> (v - 2) / 0.81650
    s = 1 / math.sqrt(2 / 3)
    close(
        adv.whiten(torch.tensor([[1.0, 2.0], [3.0, 50.0]]), torch.tensor([[1.0, 1.0], [1.0, 0.0]])),
        [[-s, 0.0], [s, 0.0]],
    )


def test_clipped_policy_loss_four_cases():
    # ratios 1.5, 1.5, 0.5, 0.5 with advantages +1, -1, +1, -1; clip range [0.8, 1.28]
    ratio = torch.tensor([[1.5, 1.5, 0.5, 0.5]])
    a = torch.tensor([[1.0, -1.0, 1.0, -1.0]])
    loss, clipped = losses.clipped_policy_loss(ratio.log(), torch.zeros(1, 4), a, 0.2, 0.28)
    # +1 at 1.5: -min(1.5, 1.28) = -1.28 (clipped); -1 at 1.5: -min(-1.5, -1.28) = 1.5;
    # +1 at 0.5: -min(0.5, 0.8) = -0.5; -1 at 0.5: -min(-0.5, -0.8) = 0.8 (clipped)
    close(loss, [[-1.28, 1.5, -0.5, 0.8]])
    close(clipped, [[1.0, 0.0, 0.0, 1.0]])


def test_clip_sides_split_the_clipped_tokens_by_the_advantage_sign():
    # the four cases above: clipped at (1.5, +1) is the high side, at (0.5, -1) the low side
    ratio = torch.tensor([[1.5, 1.5, 0.5, 0.5]])
    a = torch.tensor([[1.0, -1.0, 1.0, -1.0]])
    _, clipped = losses.clipped_policy_loss(ratio.log(), torch.zeros(1, 4), a, 0.2, 0.28)
    low, high = losses.clip_sides(clipped, a)
    close(low, [[0.0, 0.0, 0.0, 1.0]])
    close(high, [[1.0, 0.0, 0.0, 0.0]])
    # clip-higher: a ratio of 1.25 on a positive advantage is clipped at 0.2, not at 0.28
    r = torch.tensor([[1.25]]).log()
    one = torch.tensor([[1.0]])
    assert losses.clip_sides(losses.clipped_policy_loss(r, 0 * r, one, 0.2, 0.2)[1], one)[1] == 1
    assert losses.clip_sides(losses.clipped_policy_loss(r, 0 * r, one, 0.2, 0.28)[1], one)[1] == 0


def test_clipped_policy_loss_gradient_at_ratio_one_is_the_policy_gradient():
    logp = torch.tensor([[math.log(0.25)]], requires_grad=True)
    loss, _ = losses.clipped_policy_loss(logp, logp.detach(), torch.tensor([[2.0]]), 0.2, 0.2)
    loss.sum().backward()
    # d/dlogp of -exp(logp - old) * A at logp = old is -A
    close(logp.grad, [[-2.0]])


def test_k3_kl():
    # logp = log 0.5, ref = log 0.25: r = ref - logp = log 0.5; exp(r) - r - 1 = 0.5 + 0.69315 - 1
    value = losses.k3_kl(torch.tensor([math.log(0.5)]), torch.tensor([math.log(0.25)]))
    close(value, [0.5 + math.log(2) - 1])
    close(losses.k3_kl(torch.tensor([-1.0]), torch.tensor([-1.0])), [0.0])


def test_clipped_value_loss():
    # v 1.0 from 0.5, clip 0.2 -> 0.7; target 2: 0.5 * max(1.0, 1.69) = 0.845
    # v 0.6 from 0.5 (inside the clip), target 0.55: 0.5 * 0.05^2 = 0.00125
    close(
        losses.clipped_value_loss(
            torch.tensor([1.0, 0.6]), torch.tensor([0.5, 0.5]), torch.tensor([2.0, 0.55]), 0.2
        ),
        [0.845, 0.00125],
    )


def test_entropy_of_a_uniform_pair_is_log_two():
    close(losses.entropy_from_logits(torch.zeros(1, 2)), [math.log(2)])


PER_TOKEN = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
AGG_MASK = torch.tensor([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]])


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        ("token-mean", 2.5),  # (1 + 2 + 3 + 4) / 4 tokens
        ("seq-mean-token-mean", 3.0),  # (6 / 3 + 4 / 1) / 2 sequences
        ("seq-mean-token-sum-norm", 1.25),  # 10 / (2 sequences * 4 max tokens)
    ],
)
def test_aggregations_and_micro_batch_sums(how, expected):
    norm = losses.normaliser(AGG_MASK, max_tokens=4)
    whole = losses.aggregate(PER_TOKEN, AGG_MASK, how, norm)
    assert float(whole) == pytest.approx(expected)
    # Gradient accumulation: micro-batches divided by the whole batch's normaliser add up.
    parts = sum(
        losses.aggregate(PER_TOKEN[i : i + 1], AGG_MASK[i : i + 1], how, norm) for i in range(2)
    )
    assert float(parts) == pytest.approx(expected)
