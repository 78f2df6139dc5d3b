#include "core/work_queue.h"

#include <gtest/gtest.h>

#include <thread>

namespace payedge {
namespace {

using namespace std::chrono_literals;

TEST(WorkQueue, TakesEverythingInOrder) {
  WorkQueue<int> q(10);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(q.push(i));
  std::deque<int> out;
  ASSERT_TRUE(q.take_all(out, 0ms));
  EXPECT_EQ(out, (std::deque<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(q.size(), 0u);
}

TEST(WorkQueue, FullQueueDropsTheNewestAndCounts) {
  WorkQueue<int> q(2);
  EXPECT_TRUE(q.push(1));
  EXPECT_TRUE(q.push(2));
  EXPECT_FALSE(q.push(3));
  EXPECT_EQ(q.dropped(), 1u);
  std::deque<int> out;
  q.take_all(out, 0ms);
  EXPECT_EQ(out, (std::deque<int>{1, 2}));
}

TEST(WorkQueue, FullQueueCanDropTheOldestInstead) {
  WorkQueue<int> q(2, WorkQueue<int>::Overflow::kDropOldest);
  q.push(1);
  q.push(2);
  EXPECT_TRUE(q.push(3));
  EXPECT_EQ(q.dropped(), 1u);
  std::deque<int> out;
  q.take_all(out, 0ms);
  EXPECT_EQ(out, (std::deque<int>{2, 3}));
}

TEST(WorkQueue, CloseHandsOverTheRestThenStops) {
  WorkQueue<int> q(10);
  q.push(7);
  q.close();
  EXPECT_FALSE(q.push(8));  // nothing new after close
  std::deque<int> out;
  EXPECT_TRUE(q.take_all(out, 0ms));  // the last batch
  EXPECT_EQ(out, (std::deque<int>{7}));
  EXPECT_FALSE(q.take_all(out, 0ms));  // and then: stop
  int one = 0;
  EXPECT_FALSE(q.take_one(one));
}

TEST(WorkQueue, ConsumerWakesForAnItemFromAnotherThread) {
  WorkQueue<int> q(10);
  std::thread producer([&] { q.push(42); });
  int got = 0;
  ASSERT_TRUE(q.take_one(got));  // blocks until the push: no timeout involved
  EXPECT_EQ(got, 42);
  producer.join();
}

TEST(WorkQueue, WakeEndsAWaitWithNothingQueued) {
  WorkQueue<int> q(10);
  std::thread waker([&] { q.wake(); });
  std::deque<int> out;
  // An hour's timeout: only the wake can end this wait within the test's time.
  EXPECT_TRUE(q.take_all(out, std::chrono::hours(1)));
  EXPECT_TRUE(out.empty());
  waker.join();
  q.push(5);
  EXPECT_TRUE(q.take_all(out, 0ms));  // the wake is used up; items still come
  EXPECT_EQ(out, (std::deque<int>{5}));
}

TEST(WorkQueue, DiscardCountsWhatWasThrownAway) {
  WorkQueue<int> q(10);
  q.push(1);
  q.push(2);
  EXPECT_EQ(q.discard(), 2u);
  EXPECT_EQ(q.dropped(), 2u);
  EXPECT_EQ(q.size(), 0u);
}

}  // namespace
}  // namespace payedge
