"""Polar code of NR control and broadcast channels (TS 38.212 §5.3.1, rate matching §5.4.1).

Encoder and a CRC-aided successive-cancellation list decoder (min-sum, list size 8 by default),
written from the specification. The tables below are the specification's:

* :data:`RELIABILITY` -- Table 5.3.1.2-1, the polar sequence Q_0^{N_max-1} for N_max = 1024 in
  ascending order of reliability (typed in from the table; it was checked against a public
  transcription of it, and that it is a permutation of 0..1023);
* :data:`INTERLEAVER_MAX` -- Table 5.3.1.1-1, the input interleaving pattern for K_IL^max = 164;
* :data:`SUBBLOCK_PATTERN` -- Table 5.4.1.1-1, the sub-block interleaver pattern P(i).

Bits are numpy uint8 arrays of 0/1. LLRs are log P(bit = 0) / P(bit = 1): positive means 0.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from math import ceil, log2

import numpy as np

_RELIABILITY_TEXT = """
    0 1 2 4 8 16 32 3 5 64 9 6 17 10 18 128
    12 33 65 20 256 34 24 36 7 129 66 512 11 40 68 130
    19 13 48 14 72 257 21 132 35 258 26 513 80 37 25 22
    136 260 264 38 514 96 67 41 144 28 69 42 516 49 74 272
    160 520 288 528 192 544 70 44 131 81 50 73 15 320 133 52
    23 134 384 76 137 82 56 27 97 39 259 84 138 145 261 29
    43 98 515 88 140 30 146 71 262 265 161 576 45 100 640 51
    148 46 75 266 273 517 104 162 53 193 152 77 164 768 268 274
    518 54 83 57 521 112 135 78 289 194 85 276 522 58 168 139
    99 86 60 280 89 290 529 524 196 141 101 147 176 142 530 321
    31 200 90 545 292 322 532 263 149 102 105 304 296 163 92 47
    267 385 546 324 208 386 150 153 165 106 55 328 536 577 548 113
    154 79 269 108 578 224 166 519 552 195 270 641 523 275 580 291
    59 169 560 114 277 156 87 197 116 170 61 531 525 642 281 278
    526 177 293 388 91 584 769 198 172 120 201 336 62 282 143 103
    178 294 93 644 202 592 323 392 297 770 107 180 151 209 284 648
    94 204 298 400 608 352 325 533 155 210 305 547 300 109 184 534
    537 115 167 225 326 306 772 157 656 329 110 117 212 171 776 330
    226 549 538 387 308 216 416 271 279 158 337 550 672 118 332 579
    540 389 173 121 553 199 784 179 228 338 312 704 390 174 554 581
    393 283 122 448 353 561 203 63 340 394 527 582 556 181 295 285
    232 124 205 182 643 562 286 585 299 354 211 401 185 396 344 586
    645 593 535 240 206 95 327 564 800 402 356 307 301 417 213 568
    832 588 186 646 404 227 896 594 418 302 649 771 360 539 111 331
    214 309 188 449 217 408 609 596 551 650 229 159 420 310 541 773
    610 657 333 119 600 339 218 368 652 230 391 313 450 542 334 233
    555 774 175 123 658 612 341 777 220 314 424 395 673 583 355 287
    183 234 125 557 660 616 342 316 241 778 563 345 452 397 403 207
    674 558 785 432 357 187 236 664 624 587 780 705 126 242 565 398
    346 456 358 405 303 569 244 595 189 566 676 361 706 589 215 786
    647 348 419 406 464 680 801 362 590 409 570 788 597 572 219 311
    708 598 601 651 421 792 802 611 602 410 231 688 653 248 369 190
    364 654 659 335 480 315 221 370 613 422 425 451 614 543 235 412
    343 372 775 317 222 426 453 237 559 833 804 712 834 661 808 779
    617 604 433 720 816 836 347 897 243 662 454 318 675 618 898 781
    376 428 665 736 567 840 625 238 359 457 399 787 591 678 434 677
    349 245 458 666 620 363 127 191 782 407 436 626 571 465 681 246
    707 350 599 668 790 460 249 682 573 411 803 789 709 365 440 628
    689 374 423 466 793 250 371 481 574 413 603 366 468 655 900 805
    615 684 710 429 794 252 373 605 848 690 713 632 482 806 427 904
    414 223 663 692 835 619 472 455 796 809 714 721 837 716 864 810
    606 912 722 696 377 435 817 319 621 812 484 430 838 667 488 239
    378 459 622 627 437 380 818 461 496 669 679 724 841 629 351 467
    438 737 251 462 442 441 469 247 683 842 738 899 670 783 849 820
    728 928 791 367 901 630 685 844 633 711 253 691 824 902 686 740
    850 375 444 470 483 415 485 905 795 473 634 744 852 960 865 693
    797 906 715 807 474 636 694 254 717 575 913 798 811 379 697 431
    607 489 866 723 486 908 718 813 476 856 839 725 698 914 752 868
    819 814 439 929 490 623 671 739 916 463 843 381 497 930 821 726
    961 872 492 631 729 700 443 741 845 920 382 822 851 730 498 880
    742 445 471 635 932 687 903 825 500 846 745 826 732 446 962 936
    475 853 867 637 907 487 695 746 828 753 854 857 504 799 255 964
    909 719 477 915 638 748 944 869 491 699 754 858 478 968 383 910
    815 976 870 917 727 493 873 701 931 756 860 499 731 823 922 874
    918 502 933 743 760 881 494 702 921 501 876 847 992 447 733 827
    934 882 937 963 747 505 855 924 734 829 965 938 884 506 749 945
    966 755 859 940 830 911 871 639 888 479 946 750 969 508 861 757
    970 919 875 862 758 948 977 923 972 761 877 952 495 703 935 978
    883 762 503 925 878 735 993 885 939 994 980 926 764 941 967 886
    831 947 507 889 984 751 942 996 971 890 509 949 973 1000 892 950
    863 759 1008 510 979 953 763 974 954 879 981 982 927 995 765 956
    887 985 997 986 943 891 998 766 511 988 1001 951 1002 893 975 894
    1009 955 1004 1010 957 983 958 987 1012 999 1016 767 989 1003 990 1005
    959 1011 1013 895 1006 1014 1017 1018 991 1020 1007 1015 1019 1021 1022 1023
"""
RELIABILITY = np.array(_RELIABILITY_TEXT.split(), dtype=np.int64)

INTERLEAVER_MAX = np.array(
    [0, 2, 4, 7, 9, 14, 19, 20, 24, 25, 26, 28, 31, 34, 42, 45, 49, 50, 51, 53, 54, 56, 58,
     59, 61, 62, 65, 66, 67, 69, 70, 71, 72, 76, 77, 81, 82, 83, 87, 88, 89, 91, 93, 95, 98,
     101, 104, 106, 108, 110, 111, 113, 115, 118, 119, 120, 122, 123, 126, 127, 129, 132, 134,
     138, 139, 140, 1, 3, 5, 8, 10, 15, 21, 27, 29, 32, 35, 43, 46, 52, 55, 57, 60, 63, 68, 73,
     78, 84, 90, 92, 94, 96, 99, 102, 105, 107, 109, 112, 114, 116, 121, 124, 128, 130, 133,
     135, 141, 6, 11, 16, 22, 30, 33, 36, 44, 47, 64, 74, 79, 85, 97, 100, 103, 117, 125, 131,
     136, 142, 12, 17, 23, 37, 48, 75, 80, 86, 137, 143, 13, 18, 38, 144, 39, 145, 40, 146, 41,
     147, 148, 149, 150, 151, 152, 153, 154, 155, 156, 157, 158, 159, 160, 161, 162, 163],
    dtype=np.int64,
)  # fmt: skip

SUBBLOCK_PATTERN = np.array(
    [0, 1, 2, 4, 3, 5, 6, 7, 8, 16, 9, 17, 10, 18, 11, 19,
     12, 20, 13, 21, 14, 22, 15, 23, 24, 25, 26, 28, 27, 29, 30, 31],
    dtype=np.int64,
)  # fmt: skip

_K_IL_MAX = 164


def code_length(k: int, e: int, n_max: int = 9) -> int:
    """N, the mother code length (§5.3.1), for K information bits (CRC included), E coded."""
    n1 = ceil(log2(e))
    if e <= (9 / 8) * 2 ** (n1 - 1) and k / e < 9 / 16:
        n1 -= 1
    n2 = ceil(log2(8 * k))  # R_min = 1/8
    return 2 ** max(min(n1, n2, n_max), 5)


@lru_cache(maxsize=32)
def input_interleaver(k: int) -> np.ndarray:
    """Π(0..K-1) of §5.3.1.1 (I_IL = 1): c'_k = c_Π(k)."""
    if k > _K_IL_MAX:
        raise ValueError(f"the input interleaver serves K <= {_K_IL_MAX}, got {k}")
    table = INTERLEAVER_MAX
    keep = table[table >= _K_IL_MAX - k]
    return keep - (_K_IL_MAX - k)


@lru_cache(maxsize=32)
def subblock_interleaver(n: int) -> np.ndarray:
    """J(0..N-1) of §5.4.1.1: y_n = d_J(n)."""
    i = 32 * np.arange(n) // n
    return SUBBLOCK_PATTERN[i] * (n // 32) + np.arange(n) % (n // 32)


@lru_cache(maxsize=32)
def info_mask(k: int, n: int, e: int) -> np.ndarray:
    """Which of u_0..u_{N-1} carry information (§5.3.1.2, n_PC = 0): the K most reliable
    positions of Q_0^{N-1} outside the set that puncturing or shortening freezes (E < N)."""
    q = RELIABILITY[np.less(RELIABILITY, n)]
    frozen = np.zeros(n, dtype=bool)
    if e < n:
        j = subblock_interleaver(n)
        if k / e <= 7 / 16:  # puncturing
            frozen[j[: n - e]] = True
            top = ceil(3 * n / 4 - e / 2) if e >= 3 * n / 4 else ceil(9 * n / 16 - e / 4)
            frozen[:top] = True
        else:  # shortening
            frozen[j[e:]] = True
    candidates = q[~frozen[q]]
    mask = np.zeros(n, dtype=bool)
    mask[candidates[-k:]] = True
    return mask


def polar_transform(u: np.ndarray) -> np.ndarray:
    """d = u G_N, G_N the n-th Kronecker power of [[1, 0], [1, 1]] (§5.3.1.2)."""
    x = np.array(u, dtype=np.uint8)
    n = x.size
    h = 1
    while h < n:
        y = x.reshape(-1, 2, h)
        y[:, 0, :] ^= y[:, 1, :]
        h *= 2
    return x


def encode(c: np.ndarray, e: int, interleave: bool = True, n_max: int = 9) -> np.ndarray:
    """K bits (CRC included) to E rate-matched bits: interleaving (§5.3.1.1, I_IL), polar
    encoding (§5.3.1.2), sub-block interleaving and bit selection (§5.4.1.1-2); no coded-bit
    interleaving (I_BIL = 0, the downlink's)."""
    c = np.asarray(c, dtype=np.uint8)
    k = c.size
    n = code_length(k, e, n_max)
    if interleave:
        c = c[input_interleaver(k)]
    u = np.zeros(n, dtype=np.uint8)
    u[info_mask(k, n, e)] = c
    y = polar_transform(u)[subblock_interleaver(n)]
    if e >= n:
        return y[np.arange(e) % n]
    if k / e <= 7 / 16:
        return y[n - e :]
    return y[:e]


def rate_recover(llr: np.ndarray, k: int, n_max: int = 9) -> np.ndarray:
    """E LLRs to the N LLRs of d (the inverse of bit selection and sub-block interleaving):
    repeated bits add, punctured bits are 0 (unknown), shortened bits are certain zeros."""
    llr = np.asarray(llr, dtype=np.float64)
    e = llr.size
    n = code_length(k, e, n_max)
    y = np.zeros(n)
    if e >= n:
        np.add.at(y, np.arange(e) % n, llr)
    elif k / e <= 7 / 16:
        y[n - e :] = llr
    else:
        y[:e] = llr
        y[e:] = 1e6
    d = np.empty(n)
    d[subblock_interleaver(n)] = y
    return d


class _ListDecoder:
    """SC list decoding over the code tree, every path's arrays side by side (min-sum)."""

    def __init__(self, mask: np.ndarray, list_size: int):
        self.mask = mask
        self.list_size = list_size
        self.k = int(mask.sum())
        self.pm = np.zeros(1)
        self.bits = np.zeros((1, self.k), dtype=np.uint8)
        self.pos = 0
        self._rate0 = self._frozen_nodes(mask)

    @staticmethod
    def _frozen_nodes(mask: np.ndarray) -> set[tuple[int, int]]:
        out = set()
        size = mask.size
        while size >= 1:
            for start in range(0, mask.size, size):
                if not mask[start : start + size].any():
                    out.add((start, size))
            size //= 2
        return out

    def run(self, llr: np.ndarray) -> None:
        self._node(llr[None, :], 0)

    def _node(self, alpha: np.ndarray, start: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Decode the subtree whose leaves are u[start : start + size]; returns its partial
        sums (the subtree's codeword) and which entry path each surviving path came from."""
        size = alpha.shape[1]
        if (start, size) in self._rate0:
            self.pm = self.pm + np.where(alpha < 0, -alpha, 0.0).sum(axis=1)
            return np.zeros(alpha.shape, dtype=np.uint8), None
        if size == 1:
            return self._leaf(alpha[:, 0])
        half = size // 2
        a, b = alpha[:, :half], alpha[:, half:]
        left = np.sign(a) * np.sign(b) * np.minimum(np.abs(a), np.abs(b))
        beta_l, perm1 = self._node(left, start)
        if perm1 is not None:
            a, b = a[perm1], b[perm1]
        right = b + (1.0 - 2.0 * beta_l) * a
        beta_r, perm2 = self._node(right, start + half)
        if perm2 is not None:
            beta_l = beta_l[perm2]
        perm = perm1 if perm2 is None else (perm2 if perm1 is None else perm1[perm2])
        return np.concatenate([beta_l ^ beta_r, beta_r], axis=1), perm

    def _leaf(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        paths = a.size
        pm = np.concatenate([self.pm + np.where(a < 0, -a, 0.0), self.pm + np.where(a > 0, a, 0)])
        keep = np.argsort(pm, kind="stable")[: min(self.list_size, 2 * paths)]
        parent, bit = keep % paths, (keep // paths).astype(np.uint8)
        self.pm = pm[keep]
        self.bits = self.bits[parent]
        self.bits[:, self.pos] = bit
        self.pos += 1
        return bit[:, None], parent


def decode(
    llr: np.ndarray,
    k: int,
    check: Callable[[np.ndarray], np.ndarray] | None = None,
    list_size: int = 8,
    interleave: bool = True,
    n_max: int = 9,
) -> tuple[np.ndarray, bool]:
    """E LLRs to the K bits c (CRC included) by CRC-aided SC list decoding.

    ``check`` takes a (paths, K) array of candidate c and says which pass their CRC; the most
    likely passing path wins. Returns (c, passed); without ``check`` the most likely path and
    False. A list decoder tries ``list_size`` paths, so a CRC of L bits passes noise with
    probability about list_size * 2^-L.
    """
    e = np.asarray(llr).size
    n = code_length(k, e, n_max)
    dec = _ListDecoder(info_mask(k, n, e), list_size)
    dec.run(rate_recover(llr, k, n_max))
    order = np.argsort(dec.pm, kind="stable")
    cand = np.empty_like(dec.bits)
    if interleave:
        cand[:, input_interleaver(k)] = dec.bits
    else:
        cand[:] = dec.bits
    cand = cand[order]
    if check is None:
        return cand[0], False
    ok = np.asarray(check(cand), dtype=bool)
    if ok.any():
        return cand[int(np.argmax(ok))], True
    return cand[0], False
